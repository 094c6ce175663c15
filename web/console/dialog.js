// web/console/dialog.js — the console's one question at a time: a change is typed, then
// reviewed, then confirmed, and only a confirmed change is sent.
//
// Owns the <dialog> of index.html: its fields, the two steps (edit, confirm) and the
// reading of what was typed. A field left empty is "not given"; anything else must be a
// whole number, or the operator is told so and nothing is sent. Ranges are not checked
// here on purpose: vqd judges them, and its `invalid` answer with its reason is what the
// operator sees, so the console can never disagree with vqd about a limit.
//
// ask(spec) resolves with the values (an object of numbers) once confirmed, or null if
// the operator cancelled. spec: { title, fields: [{ name, label, value, extra? }] (may be
// empty), review(values) -> text of the question or { error } , labels: { review,
// confirm, back, cancel, notWhole(label) } }.
const $ = (id) => document.getElementById(id);

let pending = null; // { spec, resolve, step, values }

function setText(id, text) {
	$(id).textContent = text;
}

function buildFields(fields) {
	const box = $('dialog-fields');
	box.replaceChildren();
	for (const f of fields) {
		const row = document.createElement('div');
		row.className = 'field';
		const label = document.createElement('label');
		label.htmlFor = `f-${f.name}`;
		label.textContent = f.label;
		const input = document.createElement('input');
		input.id = `f-${f.name}`;
		input.name = f.name;
		input.type = 'text';
		input.inputMode = 'numeric';
		input.autocomplete = 'off';
		input.value = f.value === undefined || f.value === null ? '' : String(f.value);
		row.append(label, input);
		if (f.extra) {
			const b = document.createElement('button');
			b.type = 'button';
			b.className = 'secondary small-button';
			b.textContent = f.extra.label;
			b.addEventListener('click', () => {
				input.value = String(f.extra.value);
				input.focus();
			});
			row.append(b);
		}
		box.append(row);
	}
}

function read(spec) {
	const values = {};
	for (const f of spec.fields) {
		const text = $(`f-${f.name}`).value.trim();
		if (text === '') continue;
		if (!/^-?\d+$/.test(text)) return { error: spec.labels.notWhole(f.label), field: f.name };
		values[f.name] = Number(text);
	}
	return { values };
}

function show(step) {
	const { spec } = pending;
	pending.step = step;
	const editing = step === 'edit';
	$('dialog-fields').hidden = !editing;
	$('dialog-back').hidden = editing || spec.fields.length === 0;
	setText('dialog-ok', editing ? spec.labels.review : spec.labels.confirm);
	if (editing) {
		setText('dialog-review', '');
		$('dialog-review').hidden = true;
	}
}

function submit(ev) {
	ev.preventDefault();
	if (!pending) return;
	const { spec } = pending;
	setText('dialog-error', '');
	if (pending.step === 'edit') {
		const r = read(spec);
		if (r.error) {
			setText('dialog-error', r.error);
			$(`f-${r.field}`).focus();
			return;
		}
		const q = spec.review(r.values);
		if (typeof q !== 'string') {
			setText('dialog-error', q.error);
			return;
		}
		pending.values = r.values;
		show('confirm');
		$('dialog-review').hidden = false;
		setText('dialog-review', q);
		$('dialog-ok').focus();
		return;
	}
	finish(pending.values);
}

function finish(values) {
	const p = pending;
	pending = null;
	$('dialog').close();
	p?.resolve(values);
}

export function setupDialog() {
	$('dialog-form').addEventListener('submit', submit);
	$('dialog-cancel').addEventListener('click', () => finish(null));
	$('dialog-back').addEventListener('click', () => {
		show('edit');
		$('dialog-fields').querySelector('input')?.focus();
	});
	// Esc closes the dialog: the same as Cancel
	$('dialog').addEventListener('cancel', (ev) => {
		ev.preventDefault();
		finish(null);
	});
}

export function ask(spec) {
	if (pending) finish(null);
	return new Promise((resolve) => {
		pending = { spec, resolve, step: 'edit', values: {} };
		setText('dialog-title', spec.title);
		setText('dialog-error', '');
		setText('dialog-cancel', spec.labels.cancel);
		setText('dialog-back', spec.labels.back);
		buildFields(spec.fields);
		$('dialog').showModal();
		if (spec.fields.length === 0) {
			// nothing to type: straight to the question
			const q = spec.review({});
			pending.values = {};
			show('confirm');
			$('dialog-review').hidden = false;
			setText('dialog-review', typeof q === 'string' ? q : q.error);
			$('dialog-ok').focus();
		} else {
			show('edit');
			$('dialog-fields').querySelector('input').focus();
		}
	});
}
