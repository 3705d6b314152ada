// The drawing canvas of cnnviz/ui/canvas.py: white ink on black, as MNIST's digits.
//
// Pointer events (mouse, pen, touch) draw round strokes; Undo takes the last stroke away, Clear
// all of them. The drawing goes to Python as a small PNG (data.side pixels square, the strokes
// drawn into it again as lines, not the big bitmap shrunk), as the state value "drawing": at the
// end of each stroke, and while drawing at most every data.every_ms milliseconds. One send waits
// at a time and takes the newest drawing when it goes, so a class drawing at once never queues
// stale pictures on the server. An empty canvas sends null.
//
// Streamlit runs this function again, on the same elements, whenever `data` changes (the
// student's language): the strokes live with the elements (PADS), only the labels change.

const PADS = new WeakMap();

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const root = parentElement.querySelector(".cnnviz-canvas");
  let pad = PADS.get(root);
  if (!pad) {
    pad = makePad(root, data);
    PADS.set(root, pad);
  }
  pad.send = (drawing) => setStateValue("drawing", drawing);
  pad.label(data.labels);
  return pad.stop;
}

function makePad(root, data) {
  const canvas = root.querySelector("canvas.pad");
  const pen = root.querySelector("input.pen-width");
  const undoButton = root.querySelector("button.undo");
  const clearButton = root.querySelector("button.clear");
  const view = data.view; // the canvas's own coordinates: view × view, whatever its CSS size
  const strokes = []; // each {width, points: [[x, y], ...]} in view coordinates
  let current = null; // the stroke under the pointer
  let version = 0; // bumped at every change; sentVersion is the one Python has
  let sentVersion = 0;
  let lastSent = -Infinity;
  let timer = null;
  const pad = { send: () => {} };

  pen.min = data.pen_min;
  pen.max = data.pen_max;
  pen.value = data.pen;

  // the bitmap has the screen's pixels (devicePixelRatio), the drawing is done in view units
  function fitToScreen() {
    const ratio = window.devicePixelRatio || 1;
    const side = Math.round(canvas.getBoundingClientRect().width * ratio) || view;
    if (canvas.width !== side) {
      canvas.width = side;
      canvas.height = side;
      paint(canvas, side / view);
    }
  }

  function paint(target, scale, offset = 0) {
    const context = target.getContext("2d");
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.fillStyle = "#000";
    context.fillRect(0, 0, target.width, target.height);
    context.setTransform(scale, 0, 0, scale, offset, offset);
    for (const stroke of strokes) drawStroke(context, stroke);
  }

  function drawStroke(context, stroke, from = 0) {
    context.strokeStyle = "#fff";
    context.fillStyle = "#fff";
    context.lineWidth = stroke.width;
    context.lineCap = "round";
    context.lineJoin = "round";
    const points = stroke.points;
    if (points.length === 1) {
      // a tap: a dot as wide as the pen
      context.beginPath();
      context.arc(points[0][0], points[0][1], stroke.width / 2, 0, 2 * Math.PI);
      context.fill();
      return;
    }
    context.beginPath();
    context.moveTo(...points[Math.max(0, from - 1)]);
    for (let i = Math.max(1, from); i < points.length; i++) context.lineTo(...points[i]);
    context.stroke();
  }

  // a point in view units, kept on the canvas (the pointer is captured and may leave it)
  function where(event) {
    const box = canvas.getBoundingClientRect();
    const inside = (value) => Math.min(view, Math.max(0, value * view));
    return [inside((event.clientX - box.left) / box.width),
            inside((event.clientY - box.top) / box.height)];
  }

  // the small picture Python gets: black, the strokes inside a margin (a stroke that runs off
  // the canvas's edge must not look like the edge of a sheet of paper to prepare_digit)
  function picture() {
    const small = document.createElement("canvas");
    small.width = data.side;
    small.height = data.side;
    paint(small, (data.side - 2 * data.margin) / view, data.margin);
    return small.toDataURL("image/png");
  }

  function sendNow() {
    clearTimeout(timer);
    timer = null;
    if (version === sentVersion) return;
    sentVersion = version;
    lastSent = performance.now();
    pad.send(strokes.length ? picture() : null);
  }

  function sendSoon() {
    if (timer !== null) return; // one send waits; it takes the newest drawing when it goes
    const wait = Math.max(0, lastSent + data.every_ms - performance.now());
    timer = setTimeout(sendNow, wait);
  }

  // while the first stroke is only a dot or a tick, there is nothing worth a run of the model
  function worthSending() {
    if (strokes.length > 1) return true;
    const xs = current.points.map((p) => p[0]);
    const ys = current.points.map((p) => p[1]);
    const extent = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys));
    return extent >= 4 * current.width;
  }

  function changed() {
    version++;
    undoButton.disabled = strokes.length === 0;
    clearButton.disabled = strokes.length === 0;
  }

  function down(event) {
    if (event.button !== 0 && event.pointerType === "mouse") return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    fitToScreen();
    current = { width: Number(pen.value), points: [where(event)], pointer: event.pointerId };
    strokes.push(current);
    changed();
    const context = canvas.getContext("2d");
    context.setTransform(canvas.width / view, 0, 0, canvas.width / view, 0, 0);
    drawStroke(context, current);
  }

  function move(event) {
    if (!current || event.pointerId !== current.pointer) return;
    event.preventDefault();
    const from = current.points.length;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const one of events.length ? events : [event]) current.points.push(where(one));
    const context = canvas.getContext("2d");
    context.setTransform(canvas.width / view, 0, 0, canvas.width / view, 0, 0);
    drawStroke(context, current, from);
    changed();
    if (worthSending()) sendSoon();
  }

  function up(event) {
    if (!current || event.pointerId !== current.pointer) return;
    current = null;
    sendNow();
  }

  function undo() {
    strokes.pop();
    current = null;
    paint(canvas, canvas.width / view);
    changed();
    sendNow();
  }

  function clear() {
    strokes.length = 0;
    current = null;
    paint(canvas, canvas.width / view);
    changed();
    sendNow();
  }

  canvas.addEventListener("pointerdown", down);
  canvas.addEventListener("pointermove", move);
  canvas.addEventListener("pointerup", up);
  canvas.addEventListener("pointercancel", up);
  undoButton.addEventListener("click", undo);
  clearButton.addEventListener("click", clear);
  const resized = new ResizeObserver(fitToScreen);
  resized.observe(canvas);
  fitToScreen();
  changed();
  sentVersion = version; // an empty canvas is what Python starts with

  pad.label = (labels) => {
    canvas.setAttribute("aria-label", labels.area);
    canvas.title = labels.area;
    root.querySelector(".pen-label").textContent = labels.pen;
    undoButton.textContent = labels.undo;
    clearButton.textContent = labels.clear;
  };
  pad.stop = () => {
    clearTimeout(timer);
    resized.disconnect();
  };
  return pad;
}
