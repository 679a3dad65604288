// The faces of one answer: a box and a short label per face over the video, kept inside the video's box and
// never on top of each other, and each face's probabilities in the panel beside (or under) the video.
import {color, el, textColorOn} from "./ui.js";

const overlay = document.getElementById("overlay");
const list = document.getElementById("faces-list");
const emptyNote = document.getElementById("faces-empty");

const clamp = (value, low, high) => Math.min(Math.max(value, low), Math.max(low, high));
const overlaps = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

// Where a label of size w x h goes for a face box (overlay pixels): above the box, below it, inside its top,
// inside its bottom: the first that stays in the overlay and is free; else the free row nearest the box's top.
function labelSpot(box, w, h, width, height, taken) {
  const x = clamp(box.x, 0, width - w);
  const free = y => !taken.some(other => overlaps(other, {x, y, w, h}));
  const fits = y => y >= 0 && y + h <= height;
  let y = [box.y - h, box.y + box.h, box.y, box.y + box.h - h].find(y => fits(y) && free(y));
  if (y === undefined) {
    const rows = [];
    for (let row = 0; row + h <= height; row += 1) if (free(row)) rows.push(row);
    y = rows.length ? rows.reduce((a, b) => (Math.abs(b - box.y) < Math.abs(a - box.y) ? b : a))
                    : clamp(box.y - h, 0, height - h);
  }
  return {x, y, w, h};
}

function faceLabel(face, boxWidth) {
  const id = face.face_id === undefined ? "" : "#" + face.face_id + " ";
  const label = el("div", "face-label", id + face.label + " " + face.score.toFixed(2));
  label.dataset.label = face.label;
  label.style.background = color(face.label);
  label.style.color = textColorOn(color(face.label));
  label.style.fontSize = clamp(Math.round(boxWidth / 6), 12, 15) + "px";
  return label;
}

function drawBoxes(result) {
  overlay.replaceChildren();
  const width = overlay.clientWidth, height = overlay.clientHeight, taken = [];
  for (const face of result.faces) {
    const x = clamp(face.box.x / result.width, 0, 1), y = clamp(face.box.y / result.height, 0, 1);
    const box = {x: x * width, y: y * height, w: Math.min(face.box.w / result.width, 1 - x) * width,
                 h: Math.min(face.box.h / result.height, 1 - y) * height};
    const node = el("div", "face-box");
    Object.assign(node.style, {left: 100 * x + "%", top: 100 * y + "%", width: 100 * box.w / width + "%",
                               height: 100 * box.h / height + "%", borderColor: color(face.label)});
    overlay.appendChild(node);
    const label = faceLabel(face, box.w);
    label.style.maxWidth = width + "px";
    node.appendChild(label);
    const spot = labelSpot(box, label.offsetWidth, label.offsetHeight, width, height, taken);
    taken.push(spot);
    // The label sits inside the box element (the page's tests read it there): place it relative to the box.
    label.style.left = (spot.x - box.x - node.clientLeft) + "px";
    label.style.top = (spot.y - box.y - node.clientTop) + "px";
  }
}

function probabilityRow(name, p) {
  const row = el("div", "prob");
  const track = el("span", "track");
  const fill = el("span", "fill");
  fill.style.width = (100 * p) + "%";
  fill.style.background = color(name);
  track.appendChild(fill);
  row.append(el("span", "name", name), track, el("span", "value", p.toFixed(2)));
  return row;
}

function drawList(faces) {
  list.replaceChildren();
  for (const face of faces) {
    const item = el("li", "face-card");
    const title = el("p", "face-title");
    const swatch = el("span", "swatch");
    swatch.style.background = color(face.label);
    const id = face.face_id === undefined ? "Face" : "Face #" + face.face_id;
    title.append(swatch, id + ": " + face.label + " " + face.score.toFixed(2));
    item.appendChild(title);
    for (const [name, p] of Object.entries(face.probabilities)) item.appendChild(probabilityRow(name, p));
    list.appendChild(item);
  }
  emptyNote.hidden = faces.length > 0;
  emptyNote.textContent = "No face in view.";
}

export function drawFaces(result) {
  drawBoxes(result);
  drawList(result.faces);
}

// Nothing shown: no stale box, label or probability stays once the answers stop.
export function clearFaces(note) {
  overlay.replaceChildren();
  list.replaceChildren();
  emptyNote.hidden = false;
  emptyNote.textContent = note;
}
