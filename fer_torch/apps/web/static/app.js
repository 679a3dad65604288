// fer-torch camera page: one frame in flight at a time; faces drawn over the video, their probabilities beside it.
// When the server fails, the stale faces are cleared, the page says so, and it retries with a growing pause
// (at most 2 requests/s) until the server answers again. Without a camera it says why, with a retry and the upload.
import {clearFaces, drawFaces} from "./overlay.js";
import {showModel} from "./model_info.js";
import {initUpload} from "./upload.js";
import {randomId, setMessage} from "./ui.js";

const MAX_WIDTH = 640;  // frames are sent at most this wide
const FIRST_RETRY_MS = 500, MAX_RETRY_MS = 4000;  // pause after the 1st failure, doubled up to this
const tabId = randomId();
const video = document.getElementById("video");
const status = document.getElementById("status");
const fpsText = document.getElementById("fps");
const latencyText = document.getElementById("latency");
const problem = document.getElementById("camera-problem");
const canvas = document.createElement("canvas");
// Exposed for tests and the benchmark: answered frames, frames/s over the last second, latencies (last 200), faces,
// errors, and the state: starting | running | failing | no camera.
const stats = window.ferStats = {frames: 0, dropped: 0, fps: 0, latencyMs: null, latencies: [], faces: [], errors: 0,
                                 lastError: null, state: "starting", retryInMs: 0};

let inFlight = false, failures = 0, retryAt = 0, ticking = false;
const answered = [];  // completion times of the last second

function showStats(latency) {
  const now = performance.now();
  answered.push(now);
  while (answered.length && answered[0] < now - 1000) answered.shift();
  stats.frames += 1;
  stats.fps = answered.length;
  stats.latencyMs = latency;
  stats.latencies.push(latency);
  if (stats.latencies.length > 200) stats.latencies.shift();
  fpsText.textContent = stats.fps.toFixed(1);
  latencyText.textContent = latency.toFixed(0);
}

function facesMessage(count) {
  return count === 0 ? "no face in view" : count === 1 ? "1 face" : count + " faces";
}

// What went wrong, in words: the server unreachable, failing (5xx), or refusing the frame (4xx).
function failureMessage(error, response, body) {
  if (!response) return "cannot reach the server (" + error.message + ")";
  const detail = body && body.error ? ": " + body.error : "";
  return (response.status >= 500 ? "the server failed (" : "the server refused the frame (") + response.status + detail + ")";
}

function onAnswer(result, latency) {
  failures = 0;
  stats.state = "running";
  stats.faces = result.faces;
  drawFaces(result);
  showStats(latency);
  setMessage(status, facesMessage(result.faces.length));
}

function onFailure(message) {
  failures += 1;
  const wait = Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_RETRY_MS);
  retryAt = performance.now() + wait;
  Object.assign(stats, {errors: stats.errors + 1, lastError: message, state: "failing", retryInMs: wait, faces: [],
                        fps: 0});
  answered.length = 0;
  fpsText.textContent = "–";
  latencyText.textContent = "–";
  clearFaces("No answer from the server: nothing to show.");
  setMessage(status, "Error: " + message + "; trying again in " + (wait / 1000).toFixed(1) + " s", "error");
}

async function sendFrame() {
  inFlight = true;
  const scale = Math.min(1, MAX_WIDTH / video.videoWidth);
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
  const blob = await new Promise(resolve => canvas.toBlob(resolve, "image/jpeg", 0.8));
  const start = performance.now();
  let response = null, body = null;
  try {
    response = await fetch("/api/frame?tab=" + tabId,
                           {method: "POST", headers: {"Content-Type": "image/jpeg"}, body: blob});
    body = await response.json().catch(() => null);
    if (!response.ok || !body) throw new Error("status " + response.status);
    onAnswer(body, performance.now() - start);
  } catch (error) {
    onFailure(failureMessage(error, response, body));
  } finally {
    inFlight = false;
  }
}

function tick() {
  if (stats.state !== "no camera" && video.readyState >= 2 && video.videoWidth) {
    if (inFlight) stats.dropped += 1;  // this display frame is skipped, never queued
    else if (performance.now() >= retryAt) sendFrame();
  }
  requestAnimationFrame(tick);
}

function cameraProblem(error) {
  if (!error) return "This browser gives this page no camera: cameras are only offered to pages on https:// or on localhost.";
  if (error.name === "NotAllowedError" || error.name === "SecurityError")
    return "Camera access was denied. Allow the camera for this page (the camera icon in the address bar, or the site's settings), then try again.";
  if (error.name === "NotFoundError" || error.name === "OverconstrainedError")
    return "No camera was found. Connect one, then try again.";
  if (error.name === "NotReadableError") return "The camera is busy in another program. Close it, then try again.";
  return "The camera could not be started (" + error.message + ").";
}

function showCameraProblem(error) {
  stats.state = "no camera";
  fpsText.textContent = "–";
  clearFaces("No camera: nothing to show.");
  document.getElementById("camera-problem-text").textContent = cameraProblem(error);
  problem.hidden = false;
  setMessage(status, "no camera", "error");
}

async function startCamera() {
  problem.hidden = true;
  stats.state = "starting";
  setMessage(status, "waiting for the camera…", "busy");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return showCameraProblem(null);
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({video: {width: 640, height: 480}, audio: false});
  } catch (error) {
    return showCameraProblem(error);
  }
  stats.state = "running";
  setMessage(status, "camera on", "busy");
  if (!ticking) {
    ticking = true;
    requestAnimationFrame(tick);
  }
}

document.getElementById("camera-retry").addEventListener("click", startCamera);
document.getElementById("to-upload").addEventListener("click", event => {
  event.preventDefault();
  document.getElementById("upload-section").scrollIntoView();
  document.getElementById("upload-file").focus();
});
showModel();
initUpload();
startCamera();
