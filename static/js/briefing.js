/* The briefing's print button (no inline script: the page works under a strict CSP). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
});
