// Live webcam video for cnnviz (cnnviz/ui/live.py mounts it with st.components.v2).
//
// The camera (getUserMedia, in the browser only: no WebRTC connection, no STUN/TURN) plays in a
// <video>; its centre is drawn onto a small canvas (data.width × data.height, the model's input
// side × 2) and sent to Python as a JPEG data URL of a few KB: setTriggerValue("frame",
// {id, image}). Flow control: one frame in flight at a time. Python answers every frame by
// passing back the id of the last one it processed (data.ack); only then is the newest frame
// drawn and sent (no sooner than data.interval_ms after the previous one), or after
// data.timeout_ms if no answer comes. A busy server so gets fewer frames, never a queue of old ones.
//
// Streamlit calls this function again, with the same parentElement, each time Python's data
// changes (every answered frame); the camera and the loop live on the parentElement and are
// set up once. The cleanup Streamlit asks for before each call stops the camera only when the
// element has really left the page.

const LIVE = Symbol.for("cnnviz.live");

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let live = parentElement[LIVE];
  if (!live) {
    live = createLive(parentElement.querySelector(".cnnviz-live"), data);
    parentElement[LIVE] = live;
  }
  live.sendToPython = setTriggerValue;
  live.update(data);
  return () => live.stopIfGone();
}

function createLive(root, firstData) {
  const video = root.querySelector("video");
  const button = root.querySelector("button");
  const status = root.querySelector(".status");
  const note = root.querySelector(".note");
  const canvas = document.createElement("canvas");
  const live = {
    data: firstData,
    sent: Number(firstData.ack) || 0, // frame ids keep counting up across a remount
    inFlight: 0, // id of the frame sent and not yet answered (0: none)
    sentAt: 0,
    paused: false,
    stopped: false,
    stream: null,
    timer: null,
    sendToPython: null,
  };

  function setState(state) {
    root.dataset.state = state;
    const labels = live.data.labels || {};
    button.textContent = live.paused ? labels.resume : labels.pause;
    status.textContent = state === "live" || state === "paused" ? labels[state] || "" : "";
    note.textContent = ["starting", "insecure", "denied", "no_camera"].includes(state)
      ? labels[state] || ""
      : "";
  }

  function schedule(ms, action = send) {
    clearTimeout(live.timer);
    live.timer = setTimeout(action, Math.max(0, ms));
  }

  function send() {
    live.timer = null;
    if (live.paused || live.stopped || !live.stream || live.inFlight) return;
    if (video.readyState < 2 || !video.videoWidth) {
      schedule(50); // the camera has not given its first picture yet
      return;
    }
    const width = live.data.width;
    const height = live.data.height;
    canvas.width = width;
    canvas.height = height;
    // the centre of the camera's view, cropped to the frame's aspect, shrunk to the frame
    const scale = Math.min(video.videoWidth / width, video.videoHeight / height);
    const cropWidth = width * scale;
    const cropHeight = height * scale;
    canvas
      .getContext("2d")
      .drawImage(
        video,
        (video.videoWidth - cropWidth) / 2,
        (video.videoHeight - cropHeight) / 2,
        cropWidth,
        cropHeight,
        0,
        0,
        width,
        height,
      );
    const image = canvas.toDataURL("image/jpeg", live.data.quality);
    live.sent += 1;
    live.inFlight = live.sent;
    live.sentAt = performance.now();
    root.dataset.sent = String(live.sent);
    live.sendToPython("frame", { id: live.sent, image });
    // no answer in time (the rerun was lost): the next frame goes anyway
    schedule(live.data.timeout_ms, () => {
      live.inFlight = 0;
      send();
    });
  }

  live.update = (data) => {
    live.data = data;
    root.dataset.acked = String(data.ack);
    setState(root.dataset.state); // the labels in the student's language, whatever the state
    if (live.inFlight && Number(data.ack) >= live.inFlight) {
      live.inFlight = 0;
      root.dataset.roundTrip = String(Math.round(performance.now() - live.sentAt)); // ms
      schedule(data.interval_ms - (performance.now() - live.sentAt));
    }
  };

  live.stopIfGone = () => {
    setTimeout(() => {
      if (!root.isConnected) {
        live.stopped = true;
        clearTimeout(live.timer);
        if (live.stream) live.stream.getTracks().forEach((track) => track.stop());
      }
    }, 1000);
  };

  button.addEventListener("click", () => {
    live.paused = !live.paused;
    if (live.paused) {
      video.pause();
    } else {
      video.play();
      if (!live.inFlight) schedule(0); // else its answer (or the timeout) sends the next one
    }
    setState(live.paused ? "paused" : "live");
  });

  // browsers give the camera only to secure pages (localhost or HTTPS): elsewhere there is
  // no navigator.mediaDevices at all
  if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    setState("insecure");
    return live;
  }
  setState("starting");
  navigator.mediaDevices
    .getUserMedia({ video: { width: { ideal: 320 }, height: { ideal: 240 } }, audio: false })
    .then((stream) => {
      live.stream = stream;
      if (live.stopped) {
        stream.getTracks().forEach((track) => track.stop());
        return;
      }
      video.srcObject = stream;
      return video.play().then(() => {
        button.disabled = false;
        setState("live");
        schedule(0);
      });
    })
    .catch((error) => {
      const name = error && error.name;
      setState(name === "NotAllowedError" || name === "SecurityError" ? "denied" : "no_camera");
    });
  return live;
}
