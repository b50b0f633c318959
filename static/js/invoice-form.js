// Invoice form, made faster: lines added and removed in place, saved products and SAT keys
// found as you type, and each line's figures and the totals asked of the server (the same
// computation as "Revisar" and as stamping). Without this script every button posts the form.
(function () {
  "use strict";
  var form = document.getElementById("invoice-form");
  if (!form) { return; }
  var lines = document.getElementById("invoice-lines");
  var template = document.getElementById("line-template");
  var timers = {};

  function debounce(name, fn, ms) {
    clearTimeout(timers[name]);
    timers[name] = setTimeout(fn, ms || 250);
  }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }
  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function lineNodes() { return lines.querySelectorAll("[data-line]"); }

  // Lines ---------------------------------------------------------------------------------
  var ATTRS = ["name", "id", "for", "list", "aria-describedby"];
  function renumber() {
    each(lineNodes(), function (line, index) {
      each(line.querySelectorAll("*"), function (node) {
        ATTRS.forEach(function (attr) {
          var value = node.getAttribute(attr);
          if (value) {
            node.setAttribute(attr, value.replace(/^(items|pick)-(\d+|__i__)-/, "$1-" + index + "-"));
          }
        });
        if (node.hasAttribute("data-remove-line")) { node.value = "remove-" + index; }
      });
      line.querySelector("[data-line-number]").textContent = String(index + 1);
    });
  }
  function field(line, name) { return line.querySelector('[name$="-' + name + '"]'); }
  function isBlank(line) {
    return !["description", "price", "product_id"].some(function (name) { return field(line, name).value.trim(); });
  }
  function fill(line, values) {
    Object.keys(values).forEach(function (name) {
      var input = field(line, name);
      if (input) { input.value = values[name]; }
    });
    var sku = values.sku ? " · SKU " + values.sku : "";
    var legend = line.querySelector("legend");
    legend.replaceChildren(document.createTextNode(legend.firstChild.textContent), legend.querySelector("[data-line-number]"), el("span", sku, "muted"));
    legend.title = legend.textContent;
    var more = ["ieps", "isr_ret", "iva_ret", "local_name", "local_rate"].some(function (n) { return values[n]; });
    line.querySelector("details").open = more;
  }
  function addLine(values) {
    var nodes = lineNodes();
    var last = nodes[nodes.length - 1];
    var line = values && last && isBlank(last) ? last : null;
    if (!line) {
      lines.appendChild(template.content.cloneNode(true));
      nodes = lineNodes();
      line = nodes[nodes.length - 1];
    }
    renumber();
    if (values) { fill(line, values); }
    refresh();
    return line;
  }

  form.querySelector("[data-add-line]").addEventListener("click", function (event) {
    event.preventDefault();
    addLine(null).querySelector("input[type=text]").focus();
  });
  form.addEventListener("click", function (event) {
    var remove = event.target.closest("[data-remove-line]");
    if (remove) {
      event.preventDefault();
      remove.closest("[data-line]").remove();
      if (!lineNodes().length) { addLine(null); }
      renumber();
      refresh();
      return;
    }
    var pick = event.target.closest('button[name^="pick-"]');
    if (pick) {
      event.preventDefault();
      var box = pick.closest(".key-suggestions");
      var input = box.parentNode.querySelector("input[data-catalog]");
      input.value = pick.value;
      box.remove();
      refresh();
      return;
    }
    var add = event.target.closest('button[name="add_product"]');
    if (add && add.dataset.line) {
      event.preventDefault();
      addLine(JSON.parse(add.dataset.line));
      add.closest("li").classList.add("added");
    }
  });

  // Running figures from the server --------------------------------------------------------
  function postData() {
    var data = new FormData(form);
    data.delete("action");
    return data;
  }
  function showLine(line, result) {
    var figures = line.querySelector("[data-line-figures]");
    var problems = line.querySelector("[data-line-problems]");
    figures.replaceChildren();
    problems.replaceChildren();
    if (result && result.figures) {
      var f = result.figures;
      figures.append(el("span", figures.dataset.unit + " " + f.unit_value), el("span", figures.dataset.amount + " " + f.amount));
      if (f.discount) { figures.append(el("span", figures.dataset.discount + " −" + f.discount)); }
      f.taxes.forEach(function (tax) {
        figures.append(el("span", tax.label + (tax.amount ? ": " + (tax.withholding ? "−" : "") + tax.amount : "")));
      });
      figures.append(el("strong", figures.dataset.lineTotal + " " + f.total));
    }
    line.classList.toggle("has-error", !!(result && result.problems.length));
    (result ? result.problems : []).forEach(function (message) { problems.append(el("li", message)); });
  }
  function showTotals(totals) {
    var box = document.getElementById("invoice-totals");
    function set(name, text) { box.querySelector('[data-total="' + name + '"]').textContent = text; }
    function row(name, shown) { box.querySelector('[data-total-row="' + name + '"]').hidden = !shown; }
    each(box.querySelectorAll("[data-tax-row]"), function (row) { row.remove(); });
    var grand = box.querySelector("[data-grand-total]");
    set("subtotal", totals ? totals.subtotal : "—");
    set("total", totals ? totals.total + " " + totals.currency : "—");
    set("discount", totals && totals.discount ? "−" + totals.discount : "");
    set("in_pesos", totals && totals.in_pesos ? totals.in_pesos + " MXN" : "");
    row("discount", totals && totals.discount);
    row("in_pesos", totals && totals.in_pesos);
    (totals ? totals.taxes : []).forEach(function (tax) {
      var div = el("div");
      div.setAttribute("data-tax-row", "");
      div.append(el("dt", tax.label), el("dd", tax.amount));
      box.insertBefore(div, grand);
    });
  }
  function refresh() {
    debounce("preview", function () {
      fetch(form.dataset.previewUrl, { method: "POST", body: postData(), credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (result) {
          if (!result) { return; }
          var byIndex = {};
          result.lines.forEach(function (line) { byIndex[line.index] = line; });
          each(lineNodes(), function (line, index) { showLine(line, byIndex[index]); });
          showTotals(result.totals);
        })
        .catch(function () { /* "Revisar" still asks the server */ });
    }, 300);
  }

  // Saved products and SAT keys as you type -------------------------------------------------
  var search = document.getElementById("product_q");
  var hits = document.getElementById("product-hits");
  function findProducts() {
    var q = search.value.trim();
    if (!q) { hits.replaceChildren(); return; }
    fetch(form.dataset.productsUrl + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (found) {
        if (!found) { return; }
        hits.replaceChildren();
        found.products.forEach(function (hit) {
          var item = el("li");
          var button = el("button", found.add_label, "btn btn-small");
          button.type = "submit";
          button.name = "add_product";
          button.value = hit.id;
          button.dataset.line = JSON.stringify(hit.line);
          var text = el("span");
          text.append(el("strong", hit.description), el("br"), el("span", hit.details, "muted"));
          item.append(button, text);
          hits.append(item);
        });
        if (!found.products.length) { hits.append(el("li", found.none_label, "muted")); }
      })
      .catch(function () { /* the "Buscar" button still posts */ });
  }
  search.addEventListener("input", function () { debounce("products", findProducts); });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); findProducts(); }
  });

  var catalogUrl = form.dataset.catalogUrl;
  form.addEventListener("input", function (event) {
    var input = event.target;
    if (input === search) { return; }
    if (input.dataset && input.dataset.catalog) {
      var q = input.value.trim();
      if (q.length >= 2 && !/^[0-9A-Z]{2,3}$|^\d{8}$/.test(q)) {
        debounce("catalog", function () {
          fetch(catalogUrl.replace("KIND", input.dataset.catalog) + "?q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(function (found) {
              if (!found) { return; }
              var list = document.getElementById(input.getAttribute("list"));
              list.replaceChildren.apply(list, found.map(function (hit) {
                var option = el("option", hit.key + " · " + hit.description);
                option.value = hit.key;
                return option;
              }));
            })
            .catch(function () { /* the server suggests keys on "Revisar" */ });
        });
      }
    }
    refresh();
  });
  form.addEventListener("change", refresh);

  // Customer, uses and currency -------------------------------------------------------------
  var customer = form.querySelector("#customer_id");
  var use = form.querySelector("#use");
  function chosen() { return customer.value ? customer.options[customer.selectedIndex] : null; }
  function toggleCustomer(useDefault) {
    var saved = chosen();
    document.getElementById("inline-customer").hidden = !!saved;
    var summary = document.getElementById("saved-customer");
    summary.hidden = !saved;
    if (saved) {
      summary.textContent = "RFC " + saved.dataset.taxId + " · " + summary.dataset.regime + " " + (saved.dataset.regime || "—") + " · " + summary.dataset.zip + " " + (saved.dataset.zip || "—");
      if (useDefault && saved.dataset.use) { use.value = saved.dataset.use; }
    }
  }
  // Uses offered: those SAT allows for the receiver's regime (CFDI40161); the server checks too.
  function filterUses() {
    var saved = chosen();
    var regime = saved ? saved.dataset.regime : form.querySelector("#tax_system").value;
    each(use.options, function (option) {
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
  function toggleExchange() {
    document.getElementById("exchange-field").hidden = form.querySelector("#currency").value === "MXN";
  }
  customer.addEventListener("change", function () { toggleCustomer(true); filterUses(); });
  form.querySelector("#tax_system").addEventListener("change", filterUses);
  form.querySelector("#currency").addEventListener("change", toggleExchange);
  toggleCustomer(false);
  filterUses();
  toggleExchange();
  renumber();
})();
