// What a person at this width cannot read: elements that stick out of the screen (outside any
// container that scrolls or clips them), clipped text (ellipsis or line clamp) without a title
// to read it whole, a select box too narrow for its chosen option while its line has room (from
// tablet width up: on a phone the catalogues' long names cannot fit), and a page that scrolls
// sideways. Returns one line per problem.
(selectsMustFit) => {
  const width = document.documentElement.clientWidth;
  const found = [];
  const ruler = document.createElement("canvas").getContext("2d");
  const textWidth = (text, style) => {
    ruler.font = `${style.fontStyle} ${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    return ruler.measureText(text).width;
  };
  const name = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.classList.length ? "." + [...el.classList].join(".") : "");
  const path = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      parts.unshift(name(e));
    }
    return parts.join(" > ");
  };
  const contained = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue;  // screen-reader-only text
    const style = getComputedStyle(el);
    if (style.visibility === "hidden") continue;
    const text = String(el.innerText || el.value || "").trim().slice(0, 60);
    if ((box.right > width + 1 || box.left < -1) && !contained(el)) {
      const where = `${Math.round(box.left)}..${Math.round(box.right)} of ${width}`;
      found.push(`outside the screen (${where}): ${path(el)} "${text}"`);
    }
    if (selectsMustFit && el.tagName === "SELECT" && !el.multiple && el.selectedIndex >= 0) {
      const chosen = el.options[el.selectedIndex].text.trim();
      const arrow = 24;  // the drop-down arrow's room
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      const line = el.parentElement.parentElement;  // the field's row of fields
      const hasRoom = el.offsetWidth < line.clientWidth - 2;
      if (hasRoom && textWidth(chosen, style) > room - arrow) {
        found.push(`a select cuts its chosen option: ${path(el)} "${chosen.slice(0, 60)}"`);
      }
    }
    const clamped = style.webkitLineClamp !== "none" && el.scrollHeight > el.clientHeight + 1;
    const ellipsis = style.textOverflow === "ellipsis" && el.scrollWidth > el.clientWidth + 1;
    if ((clamped || ellipsis) && !el.closest("[title]")) {
      found.push(`clipped without a title: ${path(el)} "${text}"`);
    }
  }
  const page = document.scrollingElement.scrollWidth;
  if (page > window.innerWidth) {
    found.unshift(`the page scrolls sideways: ${page} > ${window.innerWidth}`);
  }
  return found;
}
