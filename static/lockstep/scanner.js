/* Lockstep: read a tag's QR with the phone's camera, then submit the typed-code form with what it says.
 *
 * A plain script, no build step. Each [data-scanner] element (templates/checklists/_scanner.html) names the
 * input to fill (data-scanner-input) and the form to submit (data-scanner-form), both CSS selectors.
 * The browser's own BarcodeDetector reads the QR where it can (Chrome on Android, Safari); elsewhere the
 * barcode-detector ponyfill does, and its WebAssembly reader comes from our static files
 * (data-scanner-wasm), never from the CDN it would use by default: the cage may have no internet.
 *
 * The element is hidden until this script wires it, so when JavaScript fails the page is just the typed
 * form. When the camera cannot help, the tech is told why in words and the typed form stays in reach.
 */
(function () {
  "use strict";

  const SCAN_EVERY_MS = 150;
  const TYPE_INSTEAD = "Type the code printed under the QR instead.";

  const MESSAGES = {
    insecure: "The camera needs HTTPS. " + TYPE_INSTEAD,
    unsupported: "This browser cannot use the camera. " + TYPE_INSTEAD,
    denied:
      "The camera is blocked for this page. Allow it in the browser's site settings and tap Scan again, or type the code printed under the QR.",
    noCamera: "No camera was found on this device. " + TYPE_INSTEAD,
    busy: "The camera is in use by another app. Close it and tap Scan again, or type the code printed under the QR.",
    failed: "The camera could not start. " + TYPE_INSTEAD,
    noReader: "This browser cannot read QR codes. " + TYPE_INSTEAD,
    readerFailed: "The QR reader could not load. Check the connection and tap Scan again, or type the code printed under the QR.",
  };

  class ScanProblem extends Error {}

  // One QR reader for the page, shared by every scanner on it, made on the first tap.
  let detectorPromise = null;

  function qrDetector(wasmUrl) {
    if (!detectorPromise) {
      detectorPromise = makeDetector(wasmUrl).catch((error) => {
        detectorPromise = null; // the next tap tries again
        throw error;
      });
    }
    return detectorPromise;
  }

  async function makeDetector(wasmUrl) {
    const Native = window.BarcodeDetector;
    if (Native && typeof Native.getSupportedFormats === "function") {
      try {
        if ((await Native.getSupportedFormats()).includes("qr_code")) {
          return new Native({ formats: ["qr_code"] });
        }
      } catch (error) {
        // A built-in detector that cannot answer: use the WebAssembly one.
      }
    }
    const ponyfill = window.BarcodeDetectionAPI;
    if (!ponyfill || !ponyfill.BarcodeDetector || !wasmUrl) {
      throw new ScanProblem(MESSAGES.noReader);
    }
    // Before the detector is constructed: construction starts the download from wherever this says.
    const loaded = ponyfill.prepareZXingModule({
      overrides: {
        locateFile: (path, prefix) => (path.endsWith(".wasm") ? wasmUrl : prefix + path),
      },
      fireImmediately: true,
    });
    try {
      await loaded;
    } catch (error) {
      ponyfill.purgeZXingModule(); // otherwise the failed download is remembered for the page's life
      throw new ScanProblem(MESSAGES.readerFailed);
    }
    return new ponyfill.BarcodeDetector({ formats: ["qr_code"] });
  }

  function cameraProblem(error) {
    switch (error && error.name) {
      case "NotAllowedError":
      case "SecurityError":
        return MESSAGES.denied;
      case "NotFoundError":
      case "OverconstrainedError":
        return MESSAGES.noCamera;
      case "NotReadableError":
      case "AbortError":
        return MESSAGES.busy;
      default:
        return MESSAGES.failed;
    }
  }

  // .btn sets `display`, which beats the hidden attribute; the inline style does not.
  function show(element, visible) {
    element.hidden = !visible;
    element.style.display = visible ? "" : "none";
  }

  function wire(root) {
    const startButton = root.querySelector("[data-scanner-start]");
    const stopButton = root.querySelector("[data-scanner-stop]");
    const video = root.querySelector("[data-scanner-video]");
    const status = root.querySelector("[data-scanner-status]");
    const input = document.querySelector(root.dataset.scannerInput);
    const form = document.querySelector(root.dataset.scannerForm);
    const wasmUrl = root.dataset.scannerWasm;
    if (!startButton || !stopButton || !video || !status || !input) return;
    // How the code was read, sent with it (templates/checklists/step.html): "camera" when this scanner filled
    // it in, "typed" again as soon as a person edits it. The server records it as the page's claim.
    const method = form ? form.querySelector("[data-scan-method]") : null;
    if (method) {
      input.addEventListener("input", (event) => {
        if (event.isTrusted) method.value = "typed";
      });
    }

    let stream = null;
    let timer = null;
    let session = 0; // a tap on Stop, or a new start, makes an older camera request stale

    // Layout for the viewfinder lives here, not in a style attribute, which the Content-Security-Policy refuses.
    Object.assign(video.style, {
      width: "100%",
      maxHeight: "60vh",
      objectFit: "cover",
      background: "#000",
      borderRadius: "10px",
      marginTop: "1rem",
    });

    function say(text, isProblem) {
      status.textContent = text;
      status.classList.toggle("alert", Boolean(isProblem));
      status.classList.toggle("alert-bad", Boolean(isProblem));
    }

    function showRunning(running) {
      show(startButton, !running);
      show(stopButton, running);
      show(video, running);
    }

    function stop() {
      session += 1;
      clearTimeout(timer);
      timer = null;
      if (stream) {
        stream.getTracks().forEach((track) => track.stop());
        stream = null;
      }
      video.srcObject = null;
      showRunning(false);
    }

    function found(text) {
      stop();
      say("Read: " + text);
      input.value = text;
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
      // After the events above, which a person's typing also sends: this code came from the camera.
      if (method) method.value = "camera";
      if (!form) {
        input.focus();
      } else if (typeof form.requestSubmit === "function") {
        form.requestSubmit(); // runs submit handlers and validation, as a tap on the form's button would
      } else {
        form.submit();
      }
    }

    async function scan(detector, mySession) {
      if (mySession !== session) return;
      if (video.readyState >= video.HAVE_CURRENT_DATA) {
        try {
          const codes = await detector.detect(video);
          if (mySession !== session) return;
          const code = codes.find((c) => c.rawValue);
          if (code) {
            found(code.rawValue);
            return;
          }
        } catch (error) {
          if (mySession !== session) return;
          stop();
          say(MESSAGES.readerFailed, true);
          return;
        }
      }
      timer = setTimeout(() => scan(detector, mySession), SCAN_EVERY_MS);
    }

    async function start() {
      stop();
      const mySession = session;
      say("Starting camera…");
      // The reader downloads while the camera starts; a problem with it is reported once the camera runs.
      const detecting = qrDetector(wasmUrl);
      detecting.catch(() => {});
      try {
        const camera = await navigator.mediaDevices.getUserMedia({
          video: { facingMode: "environment" },
          audio: false,
        });
        if (mySession !== session) {
          camera.getTracks().forEach((track) => track.stop());
          return;
        }
        stream = camera;
        video.srcObject = camera;
        showRunning(true);
        await video.play();
      } catch (error) {
        if (mySession !== session) return;
        stop();
        say(cameraProblem(error), true);
        return;
      }
      if (mySession !== session) return;
      say("Point the camera at the QR label");
      let detector;
      try {
        detector = await detecting;
      } catch (error) {
        if (mySession !== session) return;
        stop();
        say(error instanceof ScanProblem ? error.message : MESSAGES.noReader, true);
        return;
      }
      scan(detector, mySession);
    }

    startButton.addEventListener("click", start);
    stopButton.addEventListener("click", () => {
      stop();
      say("Camera stopped.");
    });
    // A phone that locks or leaves the page must not keep the camera on.
    window.addEventListener("pagehide", stop);

    showRunning(false);
    root.hidden = false;
    if (!window.isSecureContext) {
      show(startButton, false);
      say(MESSAGES.insecure, true);
    } else if (!navigator.mediaDevices || typeof navigator.mediaDevices.getUserMedia !== "function") {
      show(startButton, false);
      say(MESSAGES.unsupported, true);
    }
  }

  function wireAll() {
    document.querySelectorAll("[data-scanner]").forEach((root) => {
      if (root.dataset.scannerWired) return;
      root.dataset.scannerWired = "1";
      wire(root);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wireAll);
  } else {
    wireAll();
  }
  // Pages that swap in a scanner with htmx get it wired too.
  document.addEventListener("htmx:load", wireAll);
  // And pages whose panel taps.js replaced with the server's answer.
  document.addEventListener("lockstep:swapped", wireAll);
})();
