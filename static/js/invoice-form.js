// Invoice form: add/remove lines without a round trip, and running totals computed by the
// server's engine (POST to the preview URL); the form still works without JavaScript.
(function () {
  "use strict";
  var form = document.getElementById("invoice-form");
  if (!form) { return; }
  var lines = document.getElementById("invoice-lines");
  var timer = null;

  function renumber() {
    Array.prototype.forEach.call(lines.querySelectorAll("[data-line]"), function (line, index) {
      Array.prototype.forEach.call(line.querySelectorAll("input, label"), function (el) {
        ["name", "id", "for"].forEach(function (attr) {
          var value = el.getAttribute(attr);
          if (value) { el.setAttribute(attr, value.replace(/items-\d+-/, "items-" + index + "-")); }
        });
      });
      line.querySelector("[data-remove-line]").hidden = lines.children.length < 2;
    });
  }

  function refreshTotals() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      fetch(form.dataset.previewUrl, { method: "POST", body: new FormData(form), credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (totals) {
          ["subtotal", "taxes", "total"].forEach(function (name) {
            form.querySelector('[data-total="' + name + '"]').textContent = totals.ok ? "$" + totals[name] : "—";
          });
        })
        .catch(function () { /* the server recomputes everything on submit */ });
    }, 250);
  }

  function toggleCustomer() {
    var saved = form.querySelector("#customer_id").value !== "";
    document.getElementById("inline-customer").hidden = saved;
  }

  form.querySelector("[data-add-line]").addEventListener("click", function (event) {
    event.preventDefault();
    var copy = lines.lastElementChild.cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll("input"), function (input) {
      input.value = input.name.match(/quantity$/) ? "1" : input.name.match(/unit_key$/) ? "H87" : "";
    });
    lines.appendChild(copy);
    renumber();
    copy.querySelector("input").focus();
  });
  lines.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remove-line]");
    if (!button || lines.children.length < 2) { return; }
    button.closest("[data-line]").remove();
    renumber();
    refreshTotals();
  });
  // Uses offered: those SAT allows for the receiver's regime (CFDI40161); the server checks too.
  function filterUses() {
    var customer = form.querySelector("#customer_id");
    var saved = customer.options[customer.selectedIndex];
    var regime = customer.value ? saved.dataset.regime : form.querySelector("#tax_system").value;
    var use = form.querySelector("#use");
    Array.prototype.forEach.call(use.options, function (option) {
      var shown = !regime || option.dataset.regimes.split(" ").indexOf(regime) >= 0;
      option.hidden = !shown;
      option.disabled = !shown;
    });
    var current = use.options[use.selectedIndex];
    if (current && current.disabled) {
      var first = Array.prototype.find.call(use.options, function (o) { return !o.disabled; });
      use.value = first ? first.value : "";
    }
  }

  form.addEventListener("input", refreshTotals);
  form.querySelector("#customer_id").addEventListener("change", toggleCustomer);
  form.querySelector("#customer_id").addEventListener("change", filterUses);
  form.querySelector("#tax_system").addEventListener("change", filterUses);
  toggleCustomer();
  filterUses();
  renumber();
  refreshTotals();
})();
