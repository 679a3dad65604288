// The header's model line (architecture, accuracy, input, classes, from /api/model) and the /stream link, shown
// only when the server has a source (/api/health).
import {setMessage} from "./ui.js";

function describe(info) {
  const parts = [info.architecture || "model"];
  if (info.parameters) parts[0] += " (" + (info.parameters / 1e6).toFixed(1) + " M parameters)";
  parts.push(info.accuracy ? (100 * info.accuracy.value).toFixed(1) + " % accuracy on " + info.accuracy.evaluated_on
                           : "accuracy not recorded");
  parts.push(info.input.replace(/^(\d+)x(\d+)x(\d+)/, "$2×$3"));
  parts.push(info.class_names.length + " emotions: " + info.class_names.join(", "));
  return parts.join(" · ");
}

async function json(url) {
  const response = await fetch(url);
  return response.json();
}

export async function showModel() {
  const line = document.getElementById("model");
  try {
    const info = await json("/api/model");
    setMessage(line, describe(info));
    if (info.weights) line.title = "model file: " + info.weights;
  } catch (error) {
    setMessage(line, "model information unavailable: cannot reach the server", "error");
  }
  try {
    document.getElementById("stream-link").hidden = !(await json("/api/health")).stream;
  } catch (error) { /* the link stays hidden */ }
}
