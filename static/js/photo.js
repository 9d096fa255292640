// The member card's photo: "Use the camera" opens the desk's webcam in the page, "Take the photo" sends one
// frame as a JPEG to the same form the file upload uses, and the card reloads with it. Without a camera (or
// this script) the file upload still works.
(function () {
  const form = document.getElementById("photo-form");
  const start = document.getElementById("camera-start");
  const box = document.getElementById("camera-box");
  const video = document.getElementById("camera");
  const snap = document.getElementById("camera-snap");
  const failed = document.getElementById("camera-error");
  if (!form || !start || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  start.hidden = false;
  let stream = null;

  start.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        box.hidden = false;
        failed.hidden = true;
      })
      .catch(function () { box.hidden = false; failed.hidden = false; });
  });

  snap.addEventListener("click", function () {
    if (!stream || !video.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    snap.disabled = true;
    canvas.toBlob(function (blob) {
      const data = new FormData(form);
      data.set("photo", blob, "camera.jpg");
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin",
                           headers: { "X-Requested-With": "fetch" } })
        .then(function () {
          stream.getTracks().forEach(function (track) { track.stop(); });
          window.location.reload();   // the card shows the photo, or the refusal flashed by the server
        })
        .catch(function () { snap.disabled = false; });   // the request failed (network): try again
    }, "image/jpeg", 0.9);
  });
})();
