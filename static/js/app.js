// Progressive enhancements; every page works without this file.
document.addEventListener("submit", (event) => {
  const message = event.target.dataset.confirm;
  if (message && !window.confirm(message)) event.preventDefault();
});
document.querySelectorAll("[data-copy]").forEach((el) => {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "btn";
  button.textContent = document.documentElement.lang === "en" ? "Copy" : "Copiar";
  button.addEventListener("click", async () => {
    await navigator.clipboard.writeText(el.textContent.trim());
    button.textContent = document.documentElement.lang === "en" ? "Copied" : "Copiado";
  });
  el.after(button);
});
// After a refused form, the focus starts on the first field to correct; a screen reader reads
// its label and, through aria-describedby, its error.
const firstInvalid = document.querySelector("main [aria-invalid='true']");
if (firstInvalid && !document.querySelector("[autofocus]")) firstInvalid.focus();
// A table wider than the screen scrolls inside its frame; the frame then takes the keyboard
// focus (the arrow keys scroll it) and is announced as a region.
const frameScrollingTables = () => {
  const label = document.documentElement.lang === "en" ? "Table, scrolls sideways" : "Tabla, se desplaza a los lados";
  document.querySelectorAll(".table-wrap").forEach((frame) => {
    if (frame.scrollWidth > frame.clientWidth) {
      frame.tabIndex = 0;
      frame.setAttribute("role", "region");
      frame.setAttribute("aria-label", label);
    } else {
      ["tabindex", "role", "aria-label"].forEach((name) => frame.removeAttribute(name));
    }
  });
};
frameScrollingTables();
window.addEventListener("resize", frameScrollingTables);
