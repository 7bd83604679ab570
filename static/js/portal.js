// Progressive enhancement only: every page works without this file.
// After htmx swaps in a new page or fragment, move focus to its first heading or error summary so that
// keyboard and screen-reader users land on the new content (polling swaps never take focus).
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.target;
  if (!target || (event.detail.requestConfig && event.detail.requestConfig.triggeringEvent &&
      event.detail.requestConfig.triggeringEvent.type === "every")) {
    return;
  }
  if (target.closest("[data-keep-focus]")) {
    return;
  }
  var focusable = target.querySelector(".error-summary") || target.querySelector("h1") || target.querySelector("h2");
  if (focusable) {
    if (!focusable.hasAttribute("tabindex")) {
      focusable.setAttribute("tabindex", "-1");
    }
    focusable.focus();
  }
});
