// Self-invoice form: regimes filtered by the RFC's person type, uses by the regime, and a
// live hint about the RFC's format. The form works the same without this file.
(() => {
  const rfc = document.getElementById("tax_id");
  const regime = document.querySelector("[data-regimes]");
  const use = document.querySelector("[data-uses]");
  const hint = document.getElementById("rfc-live");
  if (!rfc || !regime || !use) return;
  const en = document.documentElement.lang === "en";
  const PATTERN = /^[A-ZÑ&]{3,4}\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])[A-Z0-9]{2}[0-9A]$/;
  const text = {
    moral: en ? "Company RFC (12 characters)." : "RFC de empresa (12 caracteres).",
    fisica: en ? "Individual's RFC (13 characters)." : "RFC de persona física (13 caracteres).",
    bad: en ? "This does not look like an RFC yet: 3 or 4 letters, 6 digits of a date, 3 characters."
            : "Aún no parece un RFC: 3 o 4 letras, 6 dígitos de fecha y 3 caracteres.",
  };

  const filter = (select, keep) => {
    for (const option of select.options) {
      if (!option.value) continue;
      const shown = keep(option);
      option.hidden = !shown;
      option.disabled = !shown;
      if (!shown && option.selected) select.value = "";
    }
  };

  const person = () => {
    const value = rfc.value.trim().toUpperCase();
    if (!PATTERN.test(value)) return null;
    return value.length === 12 ? "moral" : "fisica";
  };

  const update = () => {
    const value = rfc.value.trim().toUpperCase();
    const kind = person();
    hint.textContent = kind ? text[kind] : value.length >= 10 ? text.bad : "";
    filter(regime, (option) => !kind || option.dataset.persons.split(" ").includes(kind));
    filter(use, (option) => !regime.value || option.dataset.regimes.split(" ").includes(regime.value));
  };

  rfc.addEventListener("input", () => {
    const caret = rfc.selectionStart;
    rfc.value = rfc.value.toUpperCase().replace(/\s+/g, "");
    rfc.setSelectionRange(caret, caret);
    update();
  });
  regime.addEventListener("change", update);
  update();
})();
