// The header's menu, a <details>: open on screens wider than 600 px (where its summary is
// hidden, so the links stand in the header as before) and folded on phones until tapped.
// Without this script the menu simply stays open. Loaded right after the header, before
// the page is painted, so a phone never sees it open first.
(function () {
  "use strict";
  var menu = document.querySelector("details.nav-menu");
  if (!menu || !window.matchMedia) {
    return;
  }
  var phone = window.matchMedia("(max-width: 600px)");
  function fit() {
    menu.open = !phone.matches;
  }
  fit();
  if (phone.addEventListener) {
    phone.addEventListener("change", fit);
  }
  // Escape folds the open menu on a phone and gives the focus back to its summary.
  menu.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && phone.matches && menu.open) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });
})();
