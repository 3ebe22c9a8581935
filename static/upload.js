/* The file field of templates/macros.html `file_input`: a drop box whose words come from the page
   (so they are in the page's language), the chosen files listed, and the size checked before the
   form is sent. Without JavaScript the browser's own control is used and the server checks. */
(function () {
  "use strict";

  var SLACK = 4096; // what the rest of the form adds to the request

  function megabytes(bytes) {
    var lang = document.documentElement.lang || "en";
    return new Intl.NumberFormat(lang, {maximumFractionDigits: 1}).format(Math.round(bytes / 104857.6) / 10);
  }

  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, key) { return key in values ? values[key] : all; });
  }

  function sizeProblem(input) {
    // A file may be up to the file limit (MAX_UPLOAD_MB); the request, with the form, up to the other.
    var limit = parseInt(input.dataset.maxBytes, 10);
    var requestLimit = parseInt(input.dataset.maxRequestBytes, 10) || limit;
    var files = Array.prototype.slice.call(input.files || []);
    if (!limit || !files.length) return "";
    var big = files.filter(function (f) { return f.size > limit; })[0];
    if (big) return fill(input.dataset.textTooLarge, {name: big.name, size: megabytes(big.size)});
    var total = files.reduce(function (sum, f) { return sum + f.size; }, 0);
    if (total + SLACK * files.length > requestLimit) return fill(input.dataset.textTooLargeTogether, {size: megabytes(total)});
    return "";
  }

  function describedBy(input, id, on) {
    var ids = (input.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) { return x && x !== id; });
    if (on) ids.push(id);
    if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
    else input.removeAttribute("aria-describedby");
  }

  function showProblem(input, box, message) {
    var id = input.id + "-error-size";
    var group = input.closest(".usa-form-group");
    var error = document.getElementById(id);
    if (message) {
      if (!error) {
        error = document.createElement("span");
        error.className = "usa-error-message";
        error.id = id;
        error.setAttribute("role", "alert");
        box.parentNode.insertBefore(error, box);
      }
      error.textContent = message;
      input.setAttribute("aria-invalid", "true");
      if (group) group.classList.add("usa-form-group--error");
    } else if (error) {
      error.parentNode.removeChild(error);
      if (!group || !group.querySelector(".usa-error-message")) {
        input.removeAttribute("aria-invalid");
        if (group) group.classList.remove("usa-form-group--error");
      }
    }
    describedBy(input, id, Boolean(message));
  }

  function enhance(input) {
    if (input.dataset.enhanced) return;
    input.dataset.enhanced = "true";
    var box = document.createElement("div");
    box.className = "assist-file-box";
    input.parentNode.insertBefore(box, input);
    var words = document.createElement("div");
    words.className = "assist-file-box__words";
    words.setAttribute("aria-hidden", "true");
    var choose = document.createElement("span");
    choose.className = "assist-file-box__choose";
    choose.textContent = input.dataset.textChoose;
    words.appendChild(choose);
    words.appendChild(document.createTextNode(" " + input.dataset.textDrag));
    var status = document.createElement("div");
    status.className = "assist-file-box__status";
    status.id = input.id + "-status";
    status.setAttribute("aria-live", "polite");
    status.textContent = input.dataset.textNone;
    box.appendChild(words);
    box.appendChild(status);
    box.appendChild(input);
    describedBy(input, status.id, true);

    function update() {
      var names = Array.prototype.map.call(input.files || [], function (f) { return f.name; });
      status.textContent = names.length ? fill(input.dataset.textChosen, {files: names.join(", ")}) : input.dataset.textNone;
      showProblem(input, box, sizeProblem(input));
    }
    input.addEventListener("change", update);
    box.addEventListener("dragover", function () { box.classList.add("assist-file-box--drag"); });
    box.addEventListener("dragleave", function () { box.classList.remove("assist-file-box--drag"); });
    box.addEventListener("drop", function () { box.classList.remove("assist-file-box--drag"); });
    if (input.form) {
      input.form.addEventListener("submit", function (event) {
        var message = sizeProblem(input);
        if (message) {
          event.preventDefault();
          showProblem(input, box, message);
          input.focus();
        }
      });
    }
    if (input.files && input.files.length) update(); // a file kept by the browser on going back
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("input.assist-file-input"), enhance);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
