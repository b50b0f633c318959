// Customer and product forms: live RFC check and SAT key search-as-you-type (plain text
// fields without JavaScript).
(() => {
  const debounce = (fn, ms = 250) => {
    let timer;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  };
  const getJson = async (url) => {
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    return response.ok ? response.json() : null;
  };

  const rfc = document.querySelector("[data-rfc-check-url]");
  if (rfc) {
    const status = document.getElementById("rfc-status");
    rfc.addEventListener("input", debounce(async () => {
      const value = rfc.value.trim();
      if (value.length < 12) return;
      const body = await getJson(`${rfc.dataset.rfcCheckUrl}?tax_id=${encodeURIComponent(value)}`);
      if (!body) return;
      status.textContent = body.ok ? "✓ RFC" : body.message;
      status.className = `hint ${body.ok ? "ok" : "bad"}`;
      rfc.setAttribute("aria-invalid", body.ok ? "false" : "true");
    }));
  }

  document.querySelectorAll("[data-catalog-url]").forEach((input) => {
    const list = document.getElementById(input.dataset.catalogList);
    const labels = new Map();
    input.addEventListener("input", debounce(async () => {
      const value = input.value.trim();
      if (labels.has(value)) {
        const name = document.getElementById(input.dataset.nameField || "");
        if (name && !name.value) name.value = labels.get(value);
        return;
      }
      if (value.length < 2) return;
      const hits = await getJson(`${input.dataset.catalogUrl}?q=${encodeURIComponent(value)}`);
      if (!hits) return;
      list.replaceChildren(...hits.map((hit) => {
        labels.set(hit.key, hit.description);
        const option = document.createElement("option");
        option.value = hit.key;
        option.label = `${hit.key} · ${hit.description}`;
        option.textContent = hit.description;
        return option;
      }));
    }));
  });

})();
