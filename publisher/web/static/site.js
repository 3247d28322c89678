// Progressive enhancement only: every page works without this file.
// 1. Follow-up form: upload with a progress bar; on a dropped connection retry with backoff.
//    The form's submission_id makes a retried upload that did arrive count once.
// 2. Keyboard shortcuts on the review pages (j/k/Enter in the queue; a/r/e on a case).
// 3. Links that open the <details> they point at (the review page's decision bar).
(function () {
  "use strict";

  function uploadForm(form) {
    var bar = document.getElementById("upload-progress");
    var status = document.getElementById("upload-status");
    var errorsBox = document.getElementById("upload-errors");
    var button = form.querySelector("button[type=submit]");
    var maxTries = 5;

    function showErrors(list) {
      errorsBox.textContent = "";
      var p = document.createElement("p");
      p.className = "error";
      p.textContent = "Tindak lanjut belum terkirim:";
      var ul = document.createElement("ul");
      ul.className = "error";
      list.forEach(function (msg) {
        var li = document.createElement("li");
        li.textContent = msg;
        ul.appendChild(li);
      });
      errorsBox.appendChild(p);
      errorsBox.appendChild(ul);
    }

    function send(data, attempt) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.timeout = 120000;
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { bar.value = Math.round((e.loaded / e.total) * 100); }
      };
      xhr.onload = function () {
        var body = null;
        try { body = JSON.parse(xhr.responseText); } catch (err) { body = null; }
        if (xhr.status === 200 && body && body.ok) {
          status.textContent = "Terkirim.";
          window.location.assign(body.redirect);
        } else if (body && body.errors) {
          button.disabled = false;
          bar.hidden = true;
          status.textContent = "";
          showErrors(body.errors);
        } else if (xhr.status >= 500 && attempt < maxTries) {
          retry(data, attempt);
        } else {
          button.disabled = false;
          showErrors(["Pengiriman gagal (kode " + xhr.status + "). Coba lagi."]);
        }
      };
      xhr.onerror = xhr.ontimeout = function () {
        if (attempt < maxTries) { retry(data, attempt); }
        else {
          button.disabled = false;
          showErrors(["Koneksi terputus. Periksa sinyal lalu tekan Kirim lagi; tidak akan terkirim dua kali."]);
        }
      };
      xhr.send(data);
    }

    function retry(data, attempt) {
      var wait = Math.min(30, Math.pow(2, attempt)) * 1000;
      status.textContent = "Koneksi terputus, mencoba lagi dalam " + wait / 1000 + " detik (" + (attempt + 1) + "/" + maxTries + ")...";
      window.setTimeout(function () { send(data, attempt + 1); }, wait);
    }

    form.addEventListener("submit", function (event) {
      if (!window.FormData || !window.XMLHttpRequest) { return; }
      event.preventDefault();
      button.disabled = true;
      bar.hidden = false;
      bar.value = 0;
      status.textContent = "Mengunggah...";
      send(new FormData(form), 0);
    });
  }

  function typing(event) {
    var t = event.target;
    return t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
  }

  function shortcuts() {
    var links = Array.prototype.slice.call(document.querySelectorAll("[data-row-link]"));
    document.addEventListener("keydown", function (event) {
      if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) { return; }
      var current = links.indexOf(document.activeElement);
      if (event.key === "j" && links.length) {
        links[Math.min(links.length - 1, current + 1)].focus();
      } else if (event.key === "k" && links.length) {
        links[Math.max(0, current - 1)].focus();
      } else if (event.key === "a") {
        var approve = document.querySelector("[data-shortcut-approve]");
        if (approve) { approve.focus(); event.preventDefault(); }
      } else if (event.key === "r") {
        var reject = document.querySelector("[data-shortcut-reject]");
        if (reject) { reject.focus(); event.preventDefault(); }
      } else if (event.key === "e") {
        var edit = document.querySelector("[data-shortcut-edit]");
        if (edit) { edit.closest("details").open = true; edit.focus(); event.preventDefault(); }
      }
    });
  }

  // 3. The decision bar's "Ubah" opens the caption editor it points at (a closed <details>
  //    would otherwise scroll into view and stay shut) and puts the cursor in it.
  function openTarget(hash) {
    var target = hash && document.getElementById(hash.slice(1));
    if (!target || target.tagName !== "DETAILS") { return; }
    target.open = true;
    var field = target.querySelector("textarea, input:not([type=hidden])");
    if (field) { field.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    // (The follow-up form's uploads moved to pic-upload.js: resumable, issue 20.)
    Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), uploadForm);
    shortcuts();
    Array.prototype.forEach.call(document.querySelectorAll("[data-open-details]"), function (a) {
      a.addEventListener("click", function () { openTarget(a.getAttribute("href")); });
    });
    openTarget(window.location.hash);
  });
})();
