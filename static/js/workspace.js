/* 本月填报 (templates/tasks/workspace.html): each item's 保存 / 提交 / 沿用上月 posts only
   that item's inputs through the vendored htmx and swaps the answer (the item again, with
   its errors or its new state) in place; a warning before leaving with unsaved changes;
   every submit button busy while a request runs. Without this script the same buttons
   post the page and the server redirects back. */
(function () {
  "use strict";

  if (typeof htmx !== "undefined") {
    // No style element injected by htmx (a Content-Security-Policy is coming), and the
    // item's answer is swapped even when the server refused the save.
    htmx.config.includeIndicatorStyles = false;
    htmx.config.allowEval = false;
    htmx.config.allowScriptTags = false;
  }

  var form = null;
  var leaving = false; // the page's own submit: no warning

  function submitButtons() {
    return form ? form.querySelectorAll('button[type="submit"], button:not([type])') : [];
  }

  function setBusy(busy) {
    submitButtons().forEach(function (button) {
      button.disabled = busy;
      if (busy) { button.setAttribute("aria-busy", "true"); } else { button.removeAttribute("aria-busy"); }
    });
  }

  function articleOf(element) {
    return element && element.closest ? element.closest("article.filing") : null;
  }

  function unsaved() {
    return form !== null && form.querySelector('article.filing[data-dirty="true"], article.filing[data-unsaved="true"]') !== null;
  }

  function markDirty(event) {
    var article = articleOf(event.target);
    if (article) { article.dataset.dirty = "true"; }
  }

  // An item is collapsed until opened: a link to it (the index, the error summary, a
  // page address ending in #a12) opens it and every item around the input it names.
  function reveal(hash) {
    if (!hash || hash.length < 2) { return; }
    var element = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!element) { return; }
    var inner = element.querySelector ? element.querySelector("details.filing-body") : null;
    if (inner) { inner.open = true; }
    for (var node = element; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest('a[href*="#"]') : null;
    if (link && link.pathname === window.location.pathname) { reveal(link.hash); }
  });
  window.addEventListener("hashchange", function () { reveal(window.location.hash); });

  document.addEventListener("DOMContentLoaded", function () {
    reveal(window.location.hash);
    form = document.getElementById("workspace-form");
    if (!form) { return; }
    form.addEventListener("input", markDirty);
    form.addEventListener("change", markDirty);

    // The page's own buttons (保存草稿, 全部提交, and every button without script): the
    // button pressed is carried by a hidden input, since a disabled button posts nothing.
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (submitter && submitter.name) {
        var carried = document.createElement("input");
        carried.type = "hidden";
        carried.name = submitter.name;
        carried.value = submitter.value;
        if (submitter.formAction && submitter.hasAttribute("formaction")) {
          form.action = submitter.formAction;
        }
        form.appendChild(carried);
      }
      leaving = true;
      window.setTimeout(function () { setBusy(true); }, 0);
    });

    window.addEventListener("beforeunload", function (event) {
      if (leaving || !unsaved()) { return; }
      event.preventDefault();
      event.returnValue = "";
    });

    // An item's button posts that item's inputs only (htmx would send the whole form).
    document.body.addEventListener("htmx:configRequest", function (event) {
      var article = articleOf(event.detail.elt);
      if (!article) { return; }
      var prefix = "a" + article.dataset.assignment + "-";
      var data = event.detail.formData;
      Array.from(new Set(Array.from(data.keys()))).forEach(function (name) {
        if (name.indexOf(prefix) !== 0 && name !== "csrfmiddlewaretoken" && name !== "action") {
          data.delete(name);
        }
      });
    });
    document.body.addEventListener("htmx:beforeRequest", function () { setBusy(true); });
    document.body.addEventListener("htmx:afterRequest", function () { setBusy(false); });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      // The item's new state is in place: say it to screen readers, and bring the
      // first error (or the message) into view.
      var target = event.detail.target;
      var article = target && target.id ? document.getElementById(target.id) : null;
      if (!article) { return; }
      var first = article.querySelector(".error-summary a, .message");
      if (first) { first.scrollIntoView({ block: "nearest" }); }
    });
  });
})();
