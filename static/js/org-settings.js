// Live availability of the self-invoice domain, and the colour picker mirror.
(() => {
  const domain = document.querySelector("[data-check-url]");
  if (domain) {
    const status = document.getElementById("domain-status");
    let timer;
    domain.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        const value = domain.value.trim();
        if (!value) return;
        const response = await fetch(`${domain.dataset.checkUrl}?domain=${encodeURIComponent(value)}`,
          { headers: { Accept: "application/json" } });
        const body = await response.json();
        if (domain.value.trim() !== value) return; // a later keystroke has its own check
        status.textContent = body.available
          ? (document.documentElement.lang === "en" ? "Available" : "Disponible")
          : body.message;
        status.className = `hint ${body.available ? "ok" : "bad"}`;
      }, 250);
    });
  }
  document.querySelectorAll("[data-color-for]").forEach((picker) => {
    const text = document.getElementById(picker.dataset.colorFor);
    picker.addEventListener("input", () => { text.value = picker.value.slice(1).toUpperCase(); });
    text.addEventListener("input", () => {
      if (/^#?[0-9a-fA-F]{6}$/.test(text.value)) picker.value = `#${text.value.replace("#", "")}`;
    });
  });
})();
