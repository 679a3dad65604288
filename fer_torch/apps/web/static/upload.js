// The upload form: one job at a time (the button is disabled while it runs), the bytes' progress, then the frames
// annotated of the total, then what was found, said in words, with the annotated image or a playable video.
import {el, randomId, setMessage} from "./ui.js";

const POLL_MS = 400;
const FILE_NAMES = {annotated: null, log_csv: "per-frame log (CSV)", log_json: "per-frame log (JSON)",
                    histogram: "emotion counts per face (PNG)", timeline: "emotions over time (PNG)"};

const [form, input, button, status, bar, results] = ["form", "file", "button", "status", "progress", "results"]
  .map(part => document.getElementById("upload-" + part));
let busy = false;

function showProgress(done, total, text) {
  bar.hidden = false;
  if (total) { bar.max = total; bar.value = done; } else bar.removeAttribute("value");
  setMessage(status, text, "busy");
}

// Reads /api/progress/ID while the server annotates; stops when told to.
function followProgress(id) {
  let stopped = false;
  const poll = async () => {
    if (stopped) return;
    try {
      const response = await fetch("/api/progress/" + id);
      if (response.ok && !stopped) {
        const p = await response.json();
        if (p.state === "annotating")
          showProgress(p.frames_done, p.frames_total,
                       "Annotating: frame " + p.frames_done + " of " + (p.frames_total || "?") + "…");
      }
    } catch (error) { /* the upload request itself reports failures */ }
    if (!stopped) setTimeout(poll, POLL_MS);
  };
  setTimeout(poll, POLL_MS);
  return () => { stopped = true; };
}

function send(file, id) {
  return new Promise(resolve => {
    const request = new XMLHttpRequest();
    request.open("POST", "/api/upload?progress=" + id);
    request.responseType = "json";
    request.upload.onprogress = event => {
      if (event.lengthComputable)
        showProgress(event.loaded, event.total, "Uploading " + file.name + ": " + Math.round(100 * event.loaded / event.total) + " %");
    };
    request.onload = () => resolve({status: request.status, body: request.response});
    request.onerror = request.ontimeout = () => resolve({status: 0, body: null});
    const body = new FormData();
    body.append("file", file);
    request.send(body);
  });
}

function seconds(s) { return s.toFixed(1) + " s"; }

function summary(result) {
  const people = result.per_face.length;
  const found = people === 0 ? "no face found" : people === 1 ? "1 face found" : people + " faces found";
  if (result.kind === "image") return "Image: " + found + ".";
  return "Video: " + result.frames + " frames (" + seconds(result.frames / result.fps) + "), " + found + ".";
}

function faceLine(face, result) {
  let text = "Face #" + face.face_id + ": mostly " + face.dominant + " (mean probability " +
             face.mean_probability.toFixed(2) + ")";
  if (result.kind === "video")
    text += ", in " + face.frames + " of " + result.frames + " frames (" + seconds(face.first_s) + " to " + seconds(face.last_s) + ")";
  return el("li", "", text + ".");
}

function media(result) {
  if (result.kind === "image") {
    const img = el("img");
    img.src = result.urls.annotated;
    img.alt = "the uploaded image with each face found outlined and labelled";
    return img;
  }
  const video = el("video", "annotated-video");
  Object.assign(video, {src: result.urls.annotated, controls: true, muted: true, loop: true, autoplay: true,
                        playsInline: true});
  video.setAttribute("aria-label", "the uploaded video with each face outlined and labelled");
  return video;
}

function downloads(result) {
  const links = el("p", "downloads", "Download: ");
  const names = {...FILE_NAMES, annotated: result.kind === "image" ? "annotated image (PNG)" : "annotated video (WebM)"};
  Object.entries(result.urls).forEach(([key, url], i) => {
    const a = el("a", "", names[key] || key);
    a.href = url + "?download=1";
    links.append(i ? " · " : "", a);
  });
  return links;
}

function plot(url, alt) {
  const img = el("img", "plot");
  img.src = url;
  img.alt = alt;
  return img;
}

function showResult(result) {
  setMessage(status, summary(result));
  const faces = el("ul", "face-summaries");
  for (const face of result.per_face.slice(0, 20)) faces.appendChild(faceLine(face, result));
  if (result.per_face.length > 20) faces.appendChild(el("li", "", "… and " + (result.per_face.length - 20) + " more (see the log)."));
  results.append(faces, media(result), downloads(result));
  if (!result.per_face.length) return;
  const plots = el("div", "plots");
  plots.appendChild(plot(result.urls.histogram, "bar charts: how many frames each face showed each emotion"));
  if (result.kind === "video")  // a single image has no time line
    plots.appendChild(plot(result.urls.timeline, "line charts: each face's emotion probabilities over time"));
  results.appendChild(plots);
}

async function upload(event) {
  event.preventDefault();
  const file = input.files[0];
  if (busy || !file) return;
  busy = true;
  button.disabled = true;
  results.replaceChildren();
  const id = randomId();
  showProgress(0, 0, "Uploading " + file.name + "…");
  const stop = followProgress(id);
  try {
    const {status: code, body} = await send(file, id);
    if (code === 200 && body) showResult(body);
    else if (code === 0) setMessage(status, "Error: the upload failed: cannot reach the server. Try again when it is back.", "error");
    else setMessage(status, "Error: " + (body && body.error ? body.error : "the server answered " + code) + ".", "error");
  } catch (error) {
    setMessage(status, "Error: " + error.message, "error");
  } finally {
    stop();
    bar.hidden = true;
    busy = false;
    button.disabled = false;
  }
}

export function initUpload() {
  form.addEventListener("submit", upload);
}
