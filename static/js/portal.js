// Progressive enhancement only: every page works without this file.
// After htmx swaps in a new page or fragment, move focus to its first heading or error summary so that
// keyboard and screen-reader users land on the new content (polling swaps never take focus).
var keptFocusId = null;
document.addEventListener("htmx:beforeRequest", function () {
  var active = document.activeElement;
  keptFocusId = active && active.id && active.hasAttribute("data-keep-focus-after") ? active.id : null;
  // Inside data-focus-after="ID" (a list's page buttons): the new page's element ID takes the focus, as the
  // address's #ID does without JavaScript (an address's fragment does not survive htmx's redirect).
  var leads = !keptFocusId && active && active.closest ? active.closest("[data-focus-after]") : null;
  keptFocusId = leads ? leads.getAttribute("data-focus-after") : keptFocusId;
});
// A poll's swap that removes the focused control (the bank's answer in place of "Check again") would drop
// the focus to the top of the page: the new content's heading takes it instead.
var focusWasInSwap = false;
document.addEventListener("htmx:beforeSwap", function (event) {
  var target = event.detail.target;
  focusWasInSwap = Boolean(target && target.contains(document.activeElement) && document.activeElement !== target);
});
document.addEventListener("htmx:afterSettle", function (event) {
  var target = event.detail.target;
  var lost = focusWasInSwap && (!document.activeElement || document.activeElement === document.body);
  focusWasInSwap = false;
  if (target && !target.isConnected && target.id) {
    target = document.getElementById(target.id);  // swapped outerHTML: the new element
  }
  if (!target) {
    return;
  }
  var polled = event.detail.requestConfig && event.detail.requestConfig.triggeringEvent &&
    event.detail.requestConfig.triggeringEvent.type === "every";
  if (polled || target.closest("[data-keep-focus]")) {
    // These swaps leave the focus where it is (htmx keeps it on a control with the same id), unless
    // they removed the control that had it.
    var heading = lost && target.querySelector("h1, h2");
    if (heading) {
      if (!heading.hasAttribute("tabindex")) {
        heading.setAttribute("tabindex", "-1");
      }
      heading.focus();
    }
    return;
  }
  // A control marked data-keep-focus-after ("Select all", "Clear", …) re-renders the page it is on: the
  // user stays on it. A success banner (after "Create document") is what the user needs to hear first.
  var kept = keptFocusId && document.getElementById(keptFocusId);
  keptFocusId = null;
  var focusable = target.querySelector(".error-summary") || kept ||
    target.querySelector("[data-notification-autofocus]") || target.querySelector("h1") || target.querySelector("h2");
  if (focusable) {
    if (!focusable.hasAttribute("tabindex")) {
      focusable.setAttribute("tabindex", "-1");
    }
    focusable.focus();
  }
});

// Form components (templates/components/forms.html). Plain ES5, no inline handlers, no eval.
(function () {
  "use strict";

  var LOCK_MS = 2000;

  function closest(node, selector) {
    return node && node.nodeType === 1 && node.closest ? node.closest(selector) : null;
  }

  function announce(message) {
    var region = document.getElementById("live-status");
    if (!region) {
      return;
    }
    // Clear first so that the same message said twice is announced twice.
    region.textContent = "";
    window.setTimeout(function () {
      region.textContent = message;
    }, 100);
  }

  // (a) Password show/hide. The server renders <div class="password-input" data-password-toggle><input
  // type="password">, with the button's words in the page's language (data-show, data-hide, …); the button
  // exists only when this script runs. Its visible text is "Show"/"Hide" and its accessible name "Show
  // password"/"Hide password" (GOV.UK password input pattern: the name changes, so no aria-pressed, which
  // would contradict it); the change is also announced through #live-status.
  function setPasswordVisible(wrapper, visible, speak) {
    var input = wrapper.querySelector(".password-input__input, input");
    var button = wrapper.querySelector(".password-toggle");
    if (!input || !button) {
      return;
    }
    input.setAttribute("type", visible ? "text" : "password");
    button.textContent = wrapper.getAttribute(visible ? "data-hide" : "data-show");
    button.setAttribute("aria-label", wrapper.getAttribute(visible ? "data-hide-name" : "data-show-name"));
    if (speak) {
      announce(wrapper.getAttribute(visible ? "data-shown" : "data-hidden"));
    }
  }

  function enhancePasswordInputs(root) {
    var wrappers = [];
    if (!root || !root.querySelectorAll) {
      return;
    }
    if (root.matches && root.matches("[data-password-toggle]")) {
      wrappers.push(root);
    }
    Array.prototype.push.apply(wrappers, root.querySelectorAll("[data-password-toggle]"));
    wrappers.forEach(function (wrapper) {
      var input = wrapper.querySelector("input");
      if (!input || !input.id || wrapper.querySelector(".password-toggle")) {
        return;
      }
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--secondary password-toggle";
      button.setAttribute("aria-controls", input.id);
      button.textContent = wrapper.getAttribute("data-show");
      button.setAttribute("aria-label", wrapper.getAttribute("data-show-name"));
      button.addEventListener("click", function () {
        setPasswordVisible(wrapper, input.getAttribute("type") === "password", true);
      });
      wrapper.appendChild(button);
      wrapper.classList.add("password-input--enhanced");
    });
  }

  // (b) Prevent double submission. On submit the form's [data-prevent-double-click] buttons are locked for
  // LOCK_MS: aria-disabled plus a click guard rather than the disabled attribute, so that the submission
  // in progress keeps the clicked button's name/value, focus stays put, and htmx (which handles the same
  // submit event) is left alone: the submit event itself is never cancelled.
  function lock(button) {
    if (button.hasAttribute("data-double-click-locked")) {
      return;
    }
    button.setAttribute("data-double-click-locked", "");
    button.setAttribute("aria-disabled", "true");
    window.setTimeout(function () {
      unlock(button);
    }, LOCK_MS);
  }

  function unlock(button) {
    if (button.hasAttribute("data-double-click-locked")) {
      button.removeAttribute("data-double-click-locked");
      button.removeAttribute("aria-disabled");
    }
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || form.nodeName !== "FORM") {
      return;
    }
    // A revealed password goes back to a password field before it leaves (password managers, history).
    Array.prototype.forEach.call(form.querySelectorAll("[data-password-toggle]"), function (wrapper) {
      var input = wrapper.querySelector("input");
      if (input && input.getAttribute("type") === "text") {
        setPasswordVisible(wrapper, false, false);
      }
    });
    if ((form.getAttribute("method") || "").toLowerCase() === "dialog") {
      return; // closes a <dialog>; nothing is sent
    }
    Array.prototype.forEach.call(form.elements, function (element) {
      if (element.hasAttribute && element.hasAttribute("data-prevent-double-click")) {
        lock(element);
      }
    });
  });

  // Capture phase: a click on a locked button (including the click a browser fakes for Enter in a text
  // field) is stopped before it can submit the form again or reach an htmx trigger.
  document.addEventListener("click", function (event) {
    var button = closest(event.target, "[data-double-click-locked]");
    if (button) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // Back/forward cache: a page restored within the lock period must not keep dead buttons.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      Array.prototype.forEach.call(document.querySelectorAll("[data-double-click-locked]"), unlock);
    }
  });

  // Error summary links: focus the field and scroll its legend or label into view, so that the question is
  // visible above the field (the browser's own jump would hide it under the top of the window).
  document.addEventListener("click", function (event) {
    var link = closest(event.target, "[data-error-summary] a[href^='#']");
    if (!link || event.defaultPrevented) {
      return;
    }
    var field = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!field || typeof field.focus !== "function") {
      return;
    }
    var fieldset = closest(field, "fieldset");
    var legend = fieldset ? fieldset.querySelector("legend") : null;
    var label = field.labels && field.labels.length ? field.labels[0] : null;
    var anchor = legend || label || field;
    event.preventDefault();
    anchor.scrollIntoView();
    field.focus({ preventScroll: true });
  });

  // (c) On page load: back from the language switch (the address ends #language-switch), the switcher
  // keeps the focus (Chromium focuses an address's focusable target itself; not every browser does).
  // Otherwise focus the error summary, or else a success banner. After htmx swaps the htmx:afterSettle
  // handler above does the same for the error summary.
  function focusOnLoad() {
    var switcher = location.hash === "#language-switch" ? document.getElementById("language-switch") : null;
    if (switcher) {
      switcher.focus();
      return;
    }
    var target = document.querySelector("[data-error-summary]") ||
      document.querySelector("[data-notification-autofocus]");
    if (target) {
      if (!target.hasAttribute("tabindex")) {
        target.setAttribute("tabindex", "-1");
      }
      target.focus();
    }
  }

  function onReady() {
    enhancePasswordInputs(document.body);
    focusOnLoad();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", onReady);
  } else {
    onReady();
  }

  // New content from htmx (boosted pages, fragments): enhance it too. Idempotent.
  document.addEventListener("htmx:load", function (event) {
    enhancePasswordInputs(event.detail && event.detail.elt);
  });
}());

// Session timeout warning: signed-in pages say how many seconds their session has left if nothing
// happens. Two minutes before the end, show the warning (role="alert", so it is announced) with its
// "Stay signed in" button. Counting from page load keeps it right even when the device's clock is not.
(function () {
  function schedule(root) {
    var warning = root.querySelector("[data-session-seconds]");
    window.clearTimeout(window.portalSessionWarning);
    if (!warning) {
      return;
    }
    var seconds = parseInt(warning.getAttribute("data-session-seconds"), 10);
    window.portalSessionWarning = window.setTimeout(function () {
      warning.hidden = false;
    }, Math.max(seconds - 120, 0) * 1000);
  }
  document.addEventListener("DOMContentLoaded", function () { schedule(document); });
  document.addEventListener("htmx:afterSettle", function () { schedule(document); });
})();

// Confirmation dialogs: a form with data-confirm-dialog="<dialog id>" asks in that native <dialog> before
// it is sent (Esc or "Cancel" closes it and focus returns to the button that opened it; "Create
// document" sends the form with confirmed=yes). Without JavaScript the server asks on a page of its own.
// Nothing selected: the form goes straight to the server, whose error message explains.
(function () {
  var euros = window.Intl ? new Intl.NumberFormat("es-ES", { style: "currency", currency: "EUR" }) : null;

  function describe(form, dialog) {
    var boxes = form.querySelectorAll("input[type=checkbox][data-amount-cents]:checked");
    var cents = 0;
    Array.prototype.forEach.call(boxes, function (box) {
      cents += parseInt(box.getAttribute("data-amount-cents"), 10);
    });
    var count = dialog.querySelector("[data-confirm-count]");
    var total = dialog.querySelector("[data-confirm-total]");
    if (count) {
      count.textContent = boxes.length === 1
        ? dialog.getAttribute("data-one-bill")
        : dialog.getAttribute("data-bills").replace("{count}", boxes.length);
    }
    if (total) {
      total.textContent = euros ? euros.format(cents / 100) : (cents / 100).toFixed(2) + " €";
    }
    return boxes.length;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var id = form && form.getAttribute && form.getAttribute("data-confirm-dialog");
    var dialog = id ? document.getElementById(id) : null;
    if (!dialog || typeof dialog.showModal !== "function" || form.querySelector("input[name=confirmed]")) {
      return;
    }
    if (!describe(form, dialog)) {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();  // htmx must not send it yet
    var opener = event.submitter || document.activeElement;
    dialog.returnFocusTo = opener;
    dialog.showModal();
  }, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-confirm-accept], [data-confirm-cancel]") : null;
    var dialog = button ? button.closest("dialog") : null;
    if (!dialog) {
      return;
    }
    var form = document.querySelector("form[data-confirm-dialog='" + dialog.id + "']");
    if (button.hasAttribute("data-confirm-cancel") || !form) {
      dialog.close();
      return;
    }
    var confirmed = document.createElement("input");
    confirmed.type = "hidden";
    confirmed.name = "confirmed";
    confirmed.value = "yes";
    form.appendChild(confirmed);
    dialog.close();
    form.requestSubmit();
  });

  document.addEventListener("close", function (event) {
    var dialog = event.target;
    if (dialog && dialog.returnFocusTo && document.contains(dialog.returnFocusTo)) {
      dialog.returnFocusTo.focus();
    }
  }, true);
})();

// Conditional reveal (radios whose items carry fields, templates/components/forms.html): without this
// script every field shows; with it, only those of the chosen item.
(function () {
  "use strict";

  function sync(root) {
    Array.prototype.forEach.call(root.querySelectorAll("input[type=radio][data-aria-controls]"), function (radio) {
      var id = radio.getAttribute("data-aria-controls");
      var panel = document.getElementById(id);
      if (!panel) {
        return;
      }
      radio.setAttribute("aria-controls", id);
      panel.hidden = !radio.checked;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[type=radio]") && event.target.form) {
      sync(event.target.form);
    }
  });
  document.addEventListener("DOMContentLoaded", function () { sync(document); });
  document.addEventListener("htmx:afterSettle", function () { sync(document); });
})();

// The language switch loads the same page in the other language, and "Stay signed in" (data-keep-typed)
// loads it again: what the person had typed in the page's forms comes back, rather than blank fields. Kept
// in this tab's sessionStorage only until the page is back (passwords never kept). Without JavaScript the
// page comes back blank, as any new page does.
(function () {
  "use strict";
  var KEY = "portal.typedBeforeLanguageSwitch";

  function eachField(callback) {
    Array.prototype.forEach.call(document.querySelectorAll("main form"), function (form, formIndex) {
      Array.prototype.forEach.call(form.elements, function (field) {
        if (field.name && !/^(password|hidden|submit|button|file)$/.test(field.type)) {
          callback(field, formIndex);
        }
      });
    });
  }

  function changed(field) {
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    }
    return field.value !== field.defaultValue;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !(form.hasAttribute("data-language-switch") || form.hasAttribute("data-keep-typed"))) {
      return;
    }
    var typed = [];
    eachField(function (field, formIndex) {
      if (changed(field)) {
        typed.push({ form: formIndex, name: field.name, value: field.value, checked: field.checked });
      }
    });
    try {
      window.sessionStorage.setItem(KEY, JSON.stringify({ page: location.pathname + location.search, typed: typed }));
    } catch (error) { /* storage refused (private mode): the page comes back blank */ }
  });

  function restore() {
    var kept;
    try {
      kept = JSON.parse(window.sessionStorage.getItem(KEY) || "null");
      window.sessionStorage.removeItem(KEY);
    } catch (error) {
      return;
    }
    if (!kept || kept.page !== location.pathname + location.search) {
      return;
    }
    eachField(function (field, formIndex) {
      kept.typed.forEach(function (value) {
        if (value.form !== formIndex || value.name !== field.name) {
          return;
        }
        if (field.type === "checkbox" || field.type === "radio") {
          if (field.value === value.value) {
            field.checked = value.checked;
            field.dispatchEvent(new Event("change", { bubbles: true }));
          }
        } else {
          field.value = value.value;
          field.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", restore);
  } else {
    restore();
  }
}());
