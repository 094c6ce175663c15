// web/build.mjs — builds every page of web/ into one folder the web server serves.
//
//   node web/build.mjs --out DIR
//
// Each page is a folder of web/ with an index.html naming <page>.js and <page>.css. The
// script is bundled with its imports (MQTT.js, the QR library, web/lib) by esbuild, the
// stylesheet minified, both written under content-hashed names that index.html is
// rewritten to use, so the web server may let browsers keep them for good while
// index.html is asked again each time. Other files of the folder that the script does not
// import (the phone's sw.js) are copied as they are. Nothing is written into the source
// tree; DIR is replaced whole.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let esbuild;
try {
	esbuild = await import('esbuild');
} catch {
	console.error('web/build.mjs: esbuild is not installed; run tools/setup-deps');
	process.exit(2);
}

const here = dirname(fileURLToPath(import.meta.url));
const PAGES = ['phone', 'console'];

const args = process.argv.slice(2);
const oi = args.indexOf('--out');
if (oi < 0 || !args[oi + 1]) {
	console.error('usage: node web/build.mjs --out DIR');
	process.exit(2);
}
const out = resolve(args[oi + 1]);
const tmp = `${out}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

const hashed = (name, ext, text) =>
	`${name}-${createHash('sha256').update(text).digest('hex').slice(0, 12)}.${ext}`;

for (const page of PAGES) {
	const src = join(here, page);
	const dst = join(tmp, page);
	mkdirSync(dst, { recursive: true });
	const js = await esbuild.build({
		entryPoints: [join(src, `${page}.js`)],
		bundle: true,
		minify: true,
		format: 'esm',
		target: ['es2022'],
		legalComments: 'none',
		write: false,
		metafile: true,
		logLevel: 'warning',
	});
	// the page's own modules are in the bundle: serving them again would be dead weight
	const bundled = new Set(Object.keys(js.metafile.inputs).map((f) => resolve(f)));
	const css = await esbuild.build({
		entryPoints: [join(src, `${page}.css`)],
		bundle: true,
		minify: true,
		write: false,
		logLevel: 'warning',
	});
	const jsText = js.outputFiles[0].text;
	const cssText = css.outputFiles[0].text;
	const jsName = hashed(page, 'js', jsText);
	const cssName = hashed(page, 'css', cssText);
	writeFileSync(join(dst, jsName), jsText);
	writeFileSync(join(dst, cssName), cssText);
	let html = readFileSync(join(src, 'index.html'), 'utf8');
	const before = html;
	html = html.replace(`src="${page}.js"`, `src="${jsName}"`).replace(`href="${page}.css"`, `href="${cssName}"`);
	if (html === before || html.includes(`"${page}.js"`) || html.includes(`"${page}.css"`)) {
		console.error(`web/build.mjs: ${page}/index.html must name ${page}.js and ${page}.css`);
		process.exit(1);
	}
	writeFileSync(join(dst, 'index.html'), html);
	for (const f of readdirSync(src)) {
		if (['index.html', `${page}.css`].includes(f) || f.endsWith('.md')) continue;
		if (bundled.has(join(src, f))) continue;
		cpSync(join(src, f), join(dst, f));
	}
}

rmSync(out, { recursive: true, force: true });
if (!existsSync(dirname(out))) mkdirSync(dirname(out), { recursive: true });
renameSync(tmp, out);
