// The PIC follow-up form on slow mobile data (issue 20). Progressive enhancement: without this
// file (or without tus support) the form posts its files as plain multipart and still works.
//
// * Each chosen photo is downscaled on the phone to at most 2048 px (browser-image-compression,
//   without its web worker, which would load a CDN copy); the server still re-encodes it and
//   strips everything.
// * Each file then goes by the tus protocol (tus-js-client) to /api/v1/pic/uploads in 256 KiB
//   PATCHes, resumed from the last byte the server holds after a drop, a reload or a new sign-in
//   (the fingerprint is the original file's name, size and date, and the case).
// * Errors say what to do, from the server's own message: an expired session links to the
//   sign-in page and back here (the text is kept in this browser, finished uploads on the
//   server); a refused file is named; a follow-up already received links to "Kiriman saya".
(function () {
  "use strict";

  var SESSION_EXPIRED = "Sesi Anda berakhir. Masuk lagi, lalu kembali ke formulir ini: teks dan unggahan yang sudah selesai tetap tersimpan.";
  var PERMANENT = [400, 401, 403, 404, 409, 410, 413, 415, 422];

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) { node.textContent = text; }
    return node;
  }

  function mb(bytes) { return (bytes / (1024 * 1024)).toFixed(1).replace(".", ","); }

  function serverMessage(status, text) {
    try {
      var body = JSON.parse(text || "");
      if (body && typeof body.detail === "string") { return body.detail; }
      if (body && body.errors) { return body.errors.join(" "); }
    } catch (err) { /* not JSON: an HTML error page */ }
    return "";
  }

  function start(form) {
    var caseId = form.getAttribute("data-case-id");
    var endpoint = form.getAttribute("data-endpoint");
    var csrf = form.querySelector("[name=csrf_token]").value;
    var textarea = form.querySelector("#action_text");
    var list = document.getElementById("upload-list");
    var errorsBox = document.getElementById("upload-errors");
    var status = document.getElementById("upload-status");
    var button = form.querySelector("button[type=submit]");
    var textKey = "lapor-teks-" + caseId;
    var running = 0;
    var failed = 0;
    var submitWhenDone = false;

    if (!textarea.value && window.localStorage && localStorage.getItem(textKey)) {
      textarea.value = localStorage.getItem(textKey);
    }
    textarea.addEventListener("input", function () {
      try { localStorage.setItem(textKey, textarea.value); } catch (err) { /* private mode */ }
    });

    function showErrors(messages, link) {
      errorsBox.textContent = "";
      errorsBox.appendChild(el("p", { "class": "error" }, "Tindak lanjut belum terkirim:"));
      var ul = el("ul", { "class": "error" });
      messages.forEach(function (m) { ul.appendChild(el("li", {}, m)); });
      errorsBox.appendChild(ul);
      if (link) { errorsBox.appendChild(el("a", { href: link.href, "class": "cta" }, link.text)); }
    }

    function loginLink() {
      return { href: "/login?next=" + encodeURIComponent(window.location.pathname), text: "Masuk lagi" };
    }

    function prepare(file) {
      if (!/^image\/(jpeg|png|webp)$/.test(file.type) || !window.imageCompression) {
        return Promise.resolve(file);
      }
      return window.imageCompression(file, {
        maxWidthOrHeight: 2048, useWebWorker: false, fileType: "image/jpeg", initialQuality: 0.85
      }).then(function (out) { return out.size < file.size ? out : file; }, function () { return file; });
    }

    function add(file, phase) {
      var key = phase + ":" + file.name + ":" + file.size;
      Array.prototype.forEach.call(list.querySelectorAll("li[data-state=failed]"), function (old) {
        if (old.getAttribute("data-key") === key) { old.remove(); failed -= 1; }  // picked again
      });
      var li = el("li", { "class": "upload", "data-state": "preparing", "data-key": key });
      var label = el("span", {}, file.name + ": menyiapkan...");
      var bar = el("progress", { max: "100", value: "0", "aria-label": "Kemajuan " + file.name });
      li.appendChild(label);
      li.appendChild(bar);
      list.appendChild(li);
      running += 1;
      prepare(file).then(function (blob) { send(file, blob, phase, li, label, bar); });
    }

    function finish(li, state) {
      li.setAttribute("data-state", state);
      running -= 1;
      if (state === "failed") { failed += 1; }
      if (running === 0 && submitWhenDone) {
        submitWhenDone = false;
        if (failed) {
          status.textContent = "Ada berkas yang belum terunggah; lihat keterangannya di daftar berkas.";
        } else {
          submit();
        }
      }
    }

    function send(file, blob, phase, li, label, bar) {
      li.setAttribute("data-state", "uploading");
      var upload = new window.tus.Upload(blob, {
        endpoint: endpoint,
        chunkSize: 256 * 1024,
        retryDelays: [0, 1000, 2000, 3000, 5000, 5000, 10000, 10000, 20000, 20000, 30000, 30000,
          30000, 60000, 60000, 60000, 60000, 60000, 60000, 60000],
        headers: { "X-CSRF-Token": csrf },
        metadata: { filename: file.name, filetype: blob.type || file.type, case_id: caseId, phase: phase },
        fingerprint: function () {
          return Promise.resolve(["lapor", caseId, phase, file.name, file.size, file.lastModified, blob.size].join(":"));
        },
        storeFingerprintForResuming: true,
        removeFingerprintOnSuccess: true,
        onProgress: function (sent, total) {
          bar.max = total;
          bar.value = sent;
          label.textContent = file.name + ": " + Math.floor((sent / total) * 100) + "% (" + mb(sent) + " dari " + mb(total) + " MB)";
        },
        onShouldRetry: function (err) {
          var response = err.originalResponse;
          return !(response && PERMANENT.indexOf(response.getStatus()) >= 0);
        },
        onSuccess: function () {
          var id = upload.url.split("/").pop();
          form.appendChild(el("input", { type: "hidden", name: "upload_ids", value: id }));
          label.textContent = file.name + ": selesai diunggah (" + mb(blob.size) + " MB).";
          bar.value = bar.max;
          finish(li, "done");
        },
        onError: function (err) {
          var response = err.originalResponse;
          var code = response ? response.getStatus() : 0;
          var message = response ? serverMessage(code, response.getBody()) : "";
          if (code === 401 || code === 403) {
            showErrors([SESSION_EXPIRED], loginLink());
            message = "menunggu Anda masuk lagi.";
          } else if (!message) {
            message = "koneksi terputus terlalu lama. Pilih berkas ini lagi saat sinyal ada; unggahan dilanjutkan dari posisi terakhir.";
          }
          label.textContent = file.name + ": " + message;
          finish(li, "failed");
        }
      });
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) { upload.resumeFromPreviousUpload(previous[0]); }
        upload.start();
      });
    }

    ["before", "after"].forEach(function (phase) {
      var input = form.querySelector("input[type=file][name=" + phase + "]");
      input.addEventListener("change", function () {
        Array.prototype.forEach.call(input.files, function (file) { add(file, phase); });
        input.value = "";  // the files travel by tus now, not inside the form
      });
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (running > 0) {
        // Sent by itself once every file is up: the PIC may pocket the phone meanwhile.
        submitWhenDone = true;
        status.textContent = "Menunggu unggahan selesai; tindak lanjut dikirim otomatis sesudahnya.";
        return;
      }
      submit();
    });

    function submit() {
      button.disabled = true;
      status.textContent = "Mengirim...";
      window.fetch(form.action, {
        method: "POST", body: new FormData(form), headers: { Accept: "application/json" }, credentials: "same-origin"
      }).then(function (response) {
        return response.text().then(function (text) {
          var body = null;
          try { body = JSON.parse(text); } catch (err) { body = null; }
          button.disabled = false;
          status.textContent = "";
          if (response.ok && body && body.ok) {
            try { localStorage.removeItem(textKey); } catch (err) { /* private mode */ }
            window.location.assign(body.redirect);
          } else if (response.status === 401 || response.status === 403) {
            showErrors([SESSION_EXPIRED], loginLink());
          } else if (response.status === 409) {
            showErrors([serverMessage(409, text) || "Tindak lanjut ini sudah kami terima."],
              { href: "/pic/submissions", text: "Lihat Kiriman saya" });
          } else if (body && body.errors) {
            showErrors(body.errors);
          } else {
            showErrors(["Server sedang bermasalah (kode " + response.status + "). Teks dan unggahan tersimpan; tekan Kirim lagi sebentar lagi."]);
          }
        });
      }, function () {
        button.disabled = false;
        status.textContent = "";
        showErrors(["Koneksi terputus. Teks dan unggahan tersimpan; tekan Kirim lagi saat sinyal ada. Tidak akan terkirim dua kali."]);
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-tus-upload]");
    if (form && window.tus && window.tus.isSupported && window.fetch && window.FormData) { start(form); }
  });
})();
