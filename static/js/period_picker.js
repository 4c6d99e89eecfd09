/* The period picker submits its form when a month is chosen; its button stays the fallback
   without JavaScript (no inline script: the page works under a strict CSP). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  document.querySelectorAll("form.period-picker select[name=period]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form.requestSubmit) { select.form.requestSubmit(); } else { select.form.submit(); }
    });
  });
});
