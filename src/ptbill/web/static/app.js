// ptbill workbench: the little JavaScript the pages use. Everything works without it too.
(function () {
  "use strict";
  // Ask before an action that cannot be undone (write-off).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    // The button's own question first: "all the items" and "the ticked ones" differ.
    var asker = event.submitter && event.submitter.getAttribute("data-confirm");
    var question = asker || form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One click, one post: disable the buttons while the page is sent. A disabled button
    // is not sent with the form: the one clicked (its name says what to act on) is copied.
    var clicked = event.submitter;
    form.querySelectorAll("input[data-clicked]").forEach(function (c) { c.remove(); });
    if (clicked && clicked.name) {
      var copy = document.createElement("input");
      copy.setAttribute("data-clicked", "");
      copy.type = "hidden";
      copy.name = clicked.name;
      copy.value = clicked.value;
      form.appendChild(copy);
    }
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
  });
  // Coming back to a page (the back button) finds its buttons usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("button[type=submit]:disabled:not([data-off])").forEach(
      function (b) { b.disabled = false; });
  });
  // Refuse a file over the upload limit before sending it.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.type !== "file" || !input.files || !input.files.length) return;
    var limit = parseInt(input.getAttribute("data-max-bytes") || "0", 10);
    var note = document.getElementById(input.id + "-note");
    var file = input.files[0];
    if (limit && file.size > limit) {
      input.setCustomValidity("The file is " + file.size + " bytes; the limit is " + limit + " bytes.");
    } else {
      input.setCustomValidity("");
    }
    if (note) note.textContent = file.name + " (" + Math.ceil(file.size / 1024) + " KB)";
    input.reportValidity();
  });
  // Tick every box of a list at once (data-check-all="NAME": the boxes named NAME).
  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box.getAttribute("data-check-all");
    if (!name) return;
    document.querySelectorAll("input[type=checkbox][name='" + name + "']").forEach(
      function (b) { b.checked = box.checked; });
  });
  // Filter the rows of a table as one types (data-filter="table-id").
  document.addEventListener("input", function (event) {
    var box = event.target;
    var id = box.getAttribute("data-filter");
    if (!id) return;
    var needle = box.value.toLowerCase();
    document.querySelectorAll("#" + id + " tbody tr").forEach(function (row) {
      row.hidden = needle && row.textContent.toLowerCase().indexOf(needle) === -1;
    });
  });
})();
