// Reports of the job shown in the results panel (GET /api/jobs/{id}/reports): every document written into the
// study (SR, result screen, PDF, dose SR), the newest SR marked "latest" and older ones "superseded" (an amendment
// references its predecessor), the sign-off, and the PACS delivery of each document from the outbox: delivered
// (the PACS committed it), sent (stored, waiting for the storage commitment), pending, failed (with the reason and
// the next attempt). The PDF opens from /api/reports/{uid}/pdf. Refreshes every 5 s while the panel is shown.
(function () {
  const KIND = { sr: 'Measurement SR', sc: 'Result screen', pdf: 'PDF report', 'dose-sr': 'Dose SR' };
  let timer = null;
  const style = document.createElement('style');
  style.textContent = `#reportsPanel table.reports { border-collapse: collapse; font-size: 12px; }
#reportsPanel td, #reportsPanel th { padding: 2px 6px; border-bottom: 1px solid #444; text-align: left; }
#reportsPanel .delivered { color: #6c6; } #reportsPanel .pending { color: #cc6; } #reportsPanel .failed { color: #e66; }
#reportsPanel .superseded { color: #999; } #reportsPanel .latest { font-weight: bold; }`;
  document.head.appendChild(style);

  function deliveryText(rows) {
    if (!rows.length) return ['not sent (no PACS configured)', 'none'];
    return rows.map((r) => {
      const dest = r.destination.split('@')[0];
      switch (r.state) {
        case 'committed': return [`delivered to ${dest} (committed ${r.committedAt || ''})`, 'delivered'];
        case 'sent': return [`sent to ${dest}, awaiting storage commitment`, 'pending'];
        case 'pending': return [`pending for ${dest}`, 'pending'];
        default: return [`failed for ${dest} (attempt ${r.attempts}, next ${r.nextAttempt}): ${r.lastError || ''}`, 'failed'];
      }
    }).reduce((a, b) => [a[0] + '; ' + b[0], a[1] === 'failed' || b[1] === 'failed' ? 'failed' : (a[1] === 'pending' || b[1] === 'pending' ? 'pending' : a[1])]);
  }

  async function render(box, jobID) {
    let d;
    try {
      const r = await fetch(`/api/jobs/${jobID}/reports`);
      if (!r.ok) throw new Error(await r.text());
      d = await r.json();
    } catch (e) { box.textContent = `reports: ${e.message}`; return; }
    box.innerHTML = '';
    const h = document.createElement('h4'); h.textContent = 'Reports'; box.appendChild(h);
    if (!d.documents.length) { box.appendChild(document.createTextNode('no report documents yet')); return; }
    const t = document.createElement('table'); t.className = 'reports';
    const head = t.createTHead().insertRow();
    for (const c of ['Document', 'Written', 'Signed', 'Status', 'PACS']) { const th = document.createElement('th'); th.textContent = c; head.appendChild(th); }
    const latestSR = d.latest ? d.latest.sopInstanceUID : null;
    for (const doc of d.documents.slice().reverse()) {
      const tr = t.insertRow(); tr.dataset.uid = doc.sopInstanceUID; tr.dataset.kind = doc.kind;
      const name = tr.insertCell();
      if (doc.kind === 'pdf') {
        const a = document.createElement('a'); a.href = `/api/reports/${doc.sopInstanceUID}/pdf`; a.target = '_blank';
        a.textContent = KIND.pdf; a.className = 'open-pdf'; name.appendChild(a);
      } else name.textContent = KIND[doc.kind] || doc.kind;
      tr.insertCell().textContent = doc.created;
      tr.insertCell().textContent = doc.signedBy ? `${doc.signedBy} ${doc.signedAt || ''}` : '';
      const st = tr.insertCell();
      if (doc.kind === 'sr') {
        st.textContent = doc.sopInstanceUID === latestSR ? (doc.predecessor ? 'latest (amends an earlier report)' : 'latest') : 'superseded';
        st.className = doc.sopInstanceUID === latestSR ? 'latest' : 'superseded';
      }
      const [text, cls] = deliveryText(d.delivery.filter((r) => r.sopInstanceUID === doc.sopInstanceUID));
      const pc = tr.insertCell(); pc.textContent = text; pc.className = `delivery ${cls}`;
    }
    box.appendChild(t);
    // The form is built once (and again after a signature), not on every refresh, so typing is not lost.
    const signed = d.documents.some((x) => x.kind === 'sr' && x.signedBy);
    const form = box.parentNode && box.parentNode.querySelector('#physicianReport');
    if (!form || form.dataset.signed !== String(signed)) {
      if (form) form.remove();
      signForm(box.parentNode, jobID, signed);
    }
  }

  // The physician's report: the study type's template (findings pre-filled, suggested impression), signed with the
  // logged-in physician's name (right signReports); after sign-off only an amendment, which is a new document.
  async function signForm(panel, jobID, signed) {
    let tpl;
    try { const r = await fetch(`/api/jobs/${jobID}/report-template`); if (!r.ok) return; tpl = await r.json(); } catch (e) { return; }
    if (!panel || panel.querySelector('#physicianReport')) return;
    const det = document.createElement('details'); det.id = 'physicianReport'; det.dataset.signed = String(signed);
    det.innerHTML = `<summary>${signed ? 'Amend the signed report' : 'Physician report'}</summary>`;
    const h = document.createElement('div'); h.innerHTML = '<b></b><br><i></i>';
    h.querySelector('b').textContent = tpl.heading; h.querySelector('i').textContent = tpl.procedure; det.appendChild(h);
    const ul = document.createElement('ul');
    for (const f of tpl.findings) { const li = document.createElement('li'); li.textContent = f; ul.appendChild(li); }
    det.appendChild(ul);
    const ta = document.createElement('textarea'); ta.id = 'impression'; ta.rows = 4; ta.cols = 60; ta.value = tpl.impression; det.appendChild(ta);
    const b = document.createElement('button'); b.textContent = signed ? 'Amend and sign' : 'Sign';
    const msg = document.createElement('span');
    b.onclick = async () => {
      const r = await fetch(`/api/jobs/${jobID}/signoff`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ impression: ta.value, amendment: signed }) });
      msg.textContent = r.ok ? ' signed' : ` ${await r.text()}`;
      if (r.ok) render(panel.querySelector('.reportList'), jobID);
    };
    det.appendChild(document.createElement('br')); det.appendChild(b); det.appendChild(msg);
    panel.appendChild(det);
  }

  function attach() {
    const results = document.getElementById('results');
    if (!results) return;
    new MutationObserver(() => {
      const job = typeof state !== 'undefined' && state.resultJob ? state.resultJob.id : null;
      if (!job || results.querySelector('#reportsPanel')) return;
      const panel = document.createElement('div'); panel.id = 'reportsPanel'; panel.dataset.job = job;
      const box = document.createElement('div'); box.className = 'reportList'; panel.appendChild(box);
      results.appendChild(panel);
      render(box, job);
      clearInterval(timer);
      timer = setInterval(() => { if (box.isConnected) render(box, job); else clearInterval(timer); }, 5000);
    }).observe(results, { childList: true });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', attach); else attach();
})();
