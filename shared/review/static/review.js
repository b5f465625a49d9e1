// Progressive enhancement only: every form works without this file.
// 1. "select all" checkbox in the queue; 2. live balance check in the allocation editor;
// 3. "Add" buttons on open items fill the next free allocation line.
(function () {
  "use strict";
  function cents(text) {
    var t = String(text || "").replace(/[,\s]/g, "");
    if (!/^-?\d+(\.\d{1,2})?$/.test(t)) return null;
    var parts = t.replace("-", "").split(".");
    var c = parseInt(parts[0], 10) * 100 + (parts[1] ? parseInt((parts[1] + "0").slice(0, 2), 10) : 0);
    return t.charAt(0) === "-" ? -c : c;
  }
  function fmt(c) {
    var s = Math.abs(c), whole = Math.floor(s / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (c < 0 ? "-" : "") + whole + "." + ("0" + (s % 100)).slice(-2);
  }
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll('input[name="' + box.dataset.checkAll + '"]').forEach(function (b) { b.checked = box.checked; });
    });
  });
  var form = document.querySelector("form.allocation");
  if (!form) return;
  var payment = cents(form.dataset.payment), limit = cents(form.dataset.threshold);
  var out = function (name) { return form.querySelector('[data-out="' + name + '"]'); };
  var submit = form.querySelector("[data-submit]"), box = form.querySelector(".balance");
  function check() {
    var applied = 0, adjusted = 0, bad = null;
    form.querySelectorAll('input[name="app_amount"]').forEach(function (i) {
      if (!i.value.trim()) return;
      var c = cents(i.value); if (c === null) { bad = "“" + i.value + "” is not an amount"; return; }
      applied += c;
    });
    form.querySelectorAll('input[name="adj_amount"]').forEach(function (i) {
      if (!i.value.trim()) return;
      var c = cents(i.value); if (c === null || c <= 0) { bad = "adjustments are positive amounts"; return; }
      adjusted += c;
    });
    var rest = payment - applied;
    out("applied").textContent = fmt(applied);
    out("adjusted").textContent = fmt(adjusted);
    out("rest").textContent = fmt(rest);
    if (!bad && rest < 0) bad = "Applied is " + fmt(-rest) + " more than the payment";
    if (!bad && applied <= 0) bad = "Apply at least one document";
    box.classList.toggle("bad", !!bad);
    box.classList.toggle("approval", !bad && adjusted > limit);
    out("msg").textContent = bad ? bad : (adjusted > limit
      ? "Adjustments above " + fmt(limit) + ": an approver must confirm before posting."
      : (rest > 0 ? fmt(rest) + " goes on account." : "Balanced: the payment is fully applied."));
    submit.disabled = !!bad;
    submit.textContent = !bad && adjusted > limit ? "Send for approval" : "Apply and queue for posting";
  }
  form.addEventListener("input", check);
  form.querySelectorAll("[data-more]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var rows = form.querySelector('[data-rows="' + btn.dataset.more + '"]');
      var copy = rows.lastElementChild.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (i) { i.value = ""; });
      rows.appendChild(copy);
    });
  });
  document.querySelectorAll("[data-add-line]").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var docs = form.querySelectorAll('input[name="app_doc"]'), amounts = form.querySelectorAll('input[name="app_amount"]');
      for (var i = 0; i < docs.length; i++) {
        if (docs[i].value === btn.dataset.addLine) { amounts[i].focus(); return; }
      }
      for (var j = 0; j < docs.length; j++) {
        if (!docs[j].value.trim()) { docs[j].value = btn.dataset.addLine; amounts[j].value = btn.dataset.amount; check(); amounts[j].focus(); return; }
      }
      form.querySelector('[data-more="app"]').click();
      form.querySelector('[data-rows="app"]').lastElementChild.querySelector('input[name="app_doc"]').value = btn.dataset.addLine;
      form.querySelector('[data-rows="app"]').lastElementChild.querySelector('input[name="app_amount"]').value = btn.dataset.amount;
      check();
    });
  });
  check();
})();
