// validate.mjs -- validates Kubernetes manifests offline against the API
// schemas of the npm package kubernetes-models, for tests/k8s/manifests.sh.
//
//   node validate.mjs NPM_DIR FILE.yaml...
//
// NPM_DIR is where `npm install kubernetes-models yaml` put node_modules.
// Every YAML document of every file is checked:
//   - it parses, with no duplicate key (a missing `---` between two objects
//     shows up as one),
//   - it has apiVersion, kind and metadata.name, and kubernetes-models has a
//     model for its apiVersion and kind,
//   - the model's schema accepts it (types, required fields, formats such
//     as quantities),
//   - it has no field the schema does not know. The schemas let unknown
//     fields through, so the check watches which properties the validator
//     reads (the compiled validator reads every property its schema
//     defines, and every key of a map): a key it never read is unknown, as
//     the API server would reject it (a typo such as `readinesProbe`).
// Prints one line per document, "PASS<TAB>what" or
// "FAIL<TAB>what<TAB>why", and exits 0 (1 when it could not run at all).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const [npmDir, ...files] = process.argv.slice(2);
if (!npmDir || files.length === 0) {
    console.error('usage: node validate.mjs NPM_DIR FILE.yaml...');
    process.exit(1);
}
const require = createRequire(path.join(path.resolve(npmDir), 'node_modules', 'noop.js'));
const YAML = require('yaml');

// The models module for an apiVersion: "v1" is the core group.
function modelsFor(apiVersion) {
    try {
        return require(`kubernetes-models/${apiVersion}`);
    } catch {
        return null;
    }
}

const SEP = '\u0001';

// A proxy of value that records in reads every own property read from it
// (and, recursively, from what it returns), as "path SEP key".
function tracked(value, where, reads) {
    if (value === null || typeof value !== 'object')
        return value;
    return new Proxy(value, {
        get(target, key, receiver) {
            const v = Reflect.get(target, key, receiver);
            if (typeof key !== 'string' || !Object.hasOwn(target, key))
                return v;
            reads.add(where + SEP + key);
            return tracked(v, where + SEP + key, reads);
        },
        has(target, key) {
            if (typeof key === 'string')
                reads.add(where + SEP + key);
            return Reflect.has(target, key);
        },
    });
}

// The paths (a.b[0].c) of the keys of value that were never read.
function unread(value, where, shown, reads, out) {
    if (Array.isArray(value)) {
        value.forEach((v, i) => unread(v, where + SEP + i, `${shown}[${i}]`, reads, out));
    } else if (value !== null && typeof value === 'object') {
        for (const key of Object.keys(value)) {
            const name = shown ? `${shown}.${key}` : key;
            if (!reads.has(where + SEP + key))
                out.push(name);
            else
                unread(value[key], where + SEP + key, name, reads, out);
        }
    }
}

function check(file, index, doc) {
    let what = `${file} document ${index + 1}`;
    if (doc.errors.length > 0)
        return ['FAIL', what, doc.errors.slice(0, 3).map((e) => e.message).join('; ') +
                (doc.errors.length > 3 ? ` (and ${doc.errors.length - 3} more)` : '')];
    const obj = doc.toJS();
    if (obj === null || obj === undefined)
        return ['FAIL', what, 'empty document'];
    if (typeof obj !== 'object' || Array.isArray(obj))
        return ['FAIL', what, 'not a mapping'];
    const { apiVersion, kind } = obj;
    const name = obj.metadata && obj.metadata.name;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || typeof name !== 'string')
        return ['FAIL', what, 'apiVersion, kind or metadata.name missing'];
    what = `${file}: ${kind} ${name} (${apiVersion})`;
    const models = modelsFor(apiVersion);
    const Model = models && models[kind];
    if (typeof Model !== 'function' || typeof Model.prototype.validate !== 'function')
        return ['FAIL', what, `kubernetes-models has no ${apiVersion} ${kind}`];
    const reads = new Set();
    const problems = [];
    try {
        Model.prototype.validate.call(tracked(obj, '', reads));
    } catch (err) {
        problems.push(`schema: ${err.message}`);
    }
    const unknown = [];
    unread(obj, '', '', reads, unknown);
    if (unknown.length > 0)
        problems.push(`unknown field(s): ${unknown.join(', ')}`);
    return problems.length ? ['FAIL', what, problems.join('; ')] : ['PASS', what];
}

for (const file of files) {
    let docs;
    try {
        docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'), { uniqueKeys: true });
    } catch (err) {
        console.log(['FAIL', file, `cannot read: ${err.message}`].join('\t'));
        continue;
    }
    if (!Array.isArray(docs) || docs.length === 0) {
        console.log(['FAIL', file, 'no document'].join('\t'));
        continue;
    }
    docs.forEach((doc, i) => {
        const rel = path.relative(process.cwd(), file);
        const shown = rel && !rel.startsWith('..') ? rel : file;
        console.log(check(shown, i, doc)
            .map((s) => String(s).replace(/[\t\n]+/g, ' ')).join('\t'));
    });
}
