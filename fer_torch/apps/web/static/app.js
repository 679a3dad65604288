// fer-torch camera page: one frame in flight at a time, faces drawn as boxes, labels and bars over the video.
"use strict";

// Colours per FER2013 class (drawing.py's palette, as CSS).
const COLORS = {angry: "#dc2828", disgust: "#288c28", fear: "#a03ca0", happy: "#ffc800", sad: "#2878c8",
                surprise: "#ff8c00", neutral: "#b4b4b4"};
const MAX_WIDTH = 640;  // frames are sent at most this wide
const tabId = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2)).replace(/[^A-Za-z0-9_-]/g, "");
const video = document.getElementById("video");
const overlay = document.getElementById("overlay");
const canvas = document.createElement("canvas");
// Exposed for tests and the benchmark: answered frames, frames/s over the last second, latencies (last 200), faces.
window.ferStats = {frames: 0, dropped: 0, fps: 0, latencyMs: null, latencies: [], faces: [], errors: 0,
                   lastError: null};

let inFlight = false;
const answered = [];  // completion times of the last second

function color(name) { return COLORS[name] || "#0cf"; }

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function drawFaces(result) {
  overlay.replaceChildren();
  for (const face of result.faces) {
    const box = el("div", "face-box");
    box.style.setProperty("--color", color(face.label));
    box.style.left = (100 * face.box.x / result.width) + "%";
    box.style.top = (100 * face.box.y / result.height) + "%";
    box.style.width = (100 * face.box.w / result.width) + "%";
    box.style.height = (100 * face.box.h / result.height) + "%";
    const id = face.face_id === undefined ? "" : "#" + face.face_id + " ";
    const label = el("div", "face-label", id + face.label + " " + face.score.toFixed(2));
    label.dataset.label = face.label;
    box.appendChild(label);
    const bars = el("div", "bars");
    for (const [name, p] of Object.entries(face.probabilities)) {
      const bar = el("div", "bar");
      const fill = el("span", "fill");
      fill.style.width = (100 * p) + "%";
      fill.style.background = color(name);
      bar.append(fill, el("span", "text", name + " " + p.toFixed(2)));
      bars.appendChild(bar);
    }
    box.appendChild(bars);
    overlay.appendChild(box);
  }
}

function showStats(latency) {
  const now = performance.now();
  answered.push(now);
  while (answered.length && answered[0] < now - 1000) answered.shift();
  ferStats.frames += 1;
  ferStats.fps = answered.length;
  ferStats.latencyMs = latency;
  ferStats.latencies.push(latency);
  if (ferStats.latencies.length > 200) ferStats.latencies.shift();
  document.getElementById("fps").textContent = ferStats.fps.toFixed(1);
  document.getElementById("latency").textContent = latency.toFixed(0);
}

async function sendFrame() {
  inFlight = true;
  const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise(resolve => canvas.toBlob(resolve, "image/jpeg", 0.8));
  const start = performance.now();
  try {
    const response = await fetch("/api/frame?tab=" + tabId,
                                 {method: "POST", headers: {"Content-Type": "image/jpeg"}, body: blob});
    const result = await response.json();
    if (!response.ok) throw new Error(result.error || response.statusText);
    ferStats.faces = result.faces;
    drawFaces(result);
    showStats(performance.now() - start);
    document.getElementById("status").textContent = result.faces.length + " face(s)";
  } catch (error) {
    ferStats.errors += 1;
    ferStats.lastError = String(error);
    document.getElementById("status").textContent = "error: " + error.message;
  } finally {
    inFlight = false;
  }
}

function tick() {
  if (video.readyState >= 2 && video.videoWidth) {
    if (inFlight) ferStats.dropped += 1;  // this display frame is skipped, never queued
    else sendFrame();
  }
  requestAnimationFrame(tick);
}

async function startCamera() {
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: false});
    document.getElementById("status").textContent = "camera on";
    requestAnimationFrame(tick);
  } catch (error) {
    document.getElementById("status").textContent = "no camera: " + error.message;
  }
}

async function showModel() {
  const info = await (await fetch("/api/model")).json();
  document.getElementById("model").textContent =
    (info.weights ? info.weights.split("/").pop() : "in-memory model") + " · " + info.region + " crops · " + info.class_names.join(", ");
}

function link(href, text) {
  const a = el("a", "", text);
  a.href = href;
  return a;
}

async function upload(event) {
  event.preventDefault();
  const file = document.getElementById("upload-file").files[0];
  const status = document.getElementById("upload-status");
  const results = document.getElementById("upload-results");
  results.replaceChildren();
  status.textContent = "annotating " + file.name + "…";
  const form = new FormData();
  form.append("file", file);
  const response = await fetch("/api/upload", {method: "POST", body: form});
  const result = await response.json();
  if (!response.ok) { status.textContent = "error: " + result.error; return; }
  status.textContent = result.kind + ": " + result.frames + " frame(s), " + result.faces + " face(s)";
  const links = el("p");
  for (const [key, url] of Object.entries(result.urls)) links.append(link(url + "?download=1", key), " ");
  results.appendChild(links);
  for (const key of (result.kind === "image" ? ["annotated", "histogram", "timeline"] : ["histogram", "timeline"])) {
    const img = el("img");
    img.src = result.urls[key];
    img.alt = key;
    results.appendChild(img);
  }
}

document.getElementById("upload-form").addEventListener("submit", upload);
showModel();
startCamera();
