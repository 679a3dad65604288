// Page helpers shared by the camera, the overlay, the upload form and the header: elements, class colours,
// readable text on them (WCAG contrast) and status messages styled by kind.

// Colours per FER2013 class (drawing.py's palette, as CSS).
export const COLORS = {angry: "#dc2828", disgust: "#288c28", fear: "#a03ca0", happy: "#ffc800", sad: "#2878c8",
                       surprise: "#ff8c00", neutral: "#b4b4b4"};

export function color(name) { return COLORS[name] || "#00ccff"; }

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function luminance(hex) {
  const channels = [1, 3, 5].map(i => parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r, g, b] = channels.map(c => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

// Black or white, whichever contrasts more with a #rrggbb background: at least 4.58:1 (WCAG AA asks 4.5).
export function textColorOn(hex) {
  const l = luminance(hex);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? "#000000" : "#ffffff";
}

// Show `text` in `node`, styled as "ok", "busy" or "error"; unchanged text is left alone (no repeated
// announcements from aria-live regions).
export function setMessage(node, text, kind = "ok") {
  if (node.textContent !== text) node.textContent = text;
  node.classList.toggle("error", kind === "error");
  node.classList.toggle("busy", kind === "busy");
}

export function randomId() {
  return (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)).replace(/[^A-Za-z0-9_-]/g, "");
}
