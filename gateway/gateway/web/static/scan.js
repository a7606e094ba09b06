// The engineer's phone view: scan an asset label's QR code with the camera (the browser's BarcodeDetector,
// where it has one) and open the asset's page; elsewhere the typed tag does the same. The scanned text goes
// through the page's own form (/ui/assets-find), which reads only the tag out of it.
"use strict";

async function startScan(form) {
  const video = document.getElementById("scan-video");
  const status = document.getElementById("scan-status");
  status.hidden = false;
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
  } catch {
    status.textContent = status.dataset.noCamera;
    form.querySelector("[name=tag]").focus();
    return;
  }
  status.textContent = status.dataset.aim;
  video.srcObject = stream;
  video.hidden = false;
  await video.play();
  const detector = new BarcodeDetector({ formats: ["qr_code"] });
  const stop = () => {
    stream.getTracks().forEach((track) => track.stop());
    video.hidden = true;
  };
  const look = async () => {
    if (video.hidden) return;
    try {
      const [code] = await detector.detect(video);
      if (code && code.rawValue) {
        stop();
        form.querySelector("[name=tag]").value = code.rawValue;
        form.submit();
        return;
      }
    } catch {
      // a frame the detector could not read: try the next one
    }
    setTimeout(look, 250);
  };
  look();
}

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("asset-find");
  const button = document.getElementById("scan-start");
  if (!form || !button) return;
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices?.getUserMedia) return; // typing only
  BarcodeDetector.getSupportedFormats?.().then((formats) => {
    if (!formats || formats.includes("qr_code")) button.hidden = false;
  });
  button.addEventListener("click", () => startScan(form));
});
