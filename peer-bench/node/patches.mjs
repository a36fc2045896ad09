// Applies bench/patches.json with npm scim-patch 0.8.3, timed like scim-rs's criterion
// benchmark: each request parsed from its body text (JSON.parse), validated
// (patchBodyValidation) and applied (scimPatch, mutating in place) to a fresh copy of its
// resource; making the copies is not timed, and neither is V8's garbage collection of what a
// request displaced, which runs when it runs. Reports the median of many samples.
// Usage: node patches.mjs OUT.json
import { readFileSync, writeFileSync } from 'node:fs';
import { scimPatch, patchBodyValidation } from 'scim-patch';

const dir = new URL('../../bench/', import.meta.url);
const load = (f) => JSON.parse(readFileSync(new URL(f, dir)));
const patches = load('patches.json');
const targets = { user: load('user.json'), group_1000: load('group_1000.json') };
const targetOf = (p) => (p.target === 'user' ? 'user' : 'group_1000');

function apply(text, resource) {
  const body = JSON.parse(text);
  patchBodyValidation(body);
  return scimPatch(resource, body.Operations);
}

// The requests scim-patch applies without throwing.
const subset = patches.filter((p) => {
  try {
    apply(JSON.stringify(p.body), structuredClone(targets[targetOf(p)]));
    return true;
  } catch (e) {
    console.error(`scim-patch rejects ${p.name}: ${e.message}`);
    return false;
  }
});

/** Median nanoseconds per run of `work(inputs)`, where `prepare()` makes fresh inputs. */
function median(prepare, work, samples, perSample) {
  const times = [];
  for (let s = 0; s <= samples; s++) {
    const inputs = Array.from({ length: perSample }, prepare);
    const start = process.hrtime.bigint();
    for (const input of inputs) work(input);
    const elapsed = Number(process.hrtime.bigint() - start) / perSample;
    if (s > 0) times.push(elapsed); // the first sample warms up
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

const texts = new Map(patches.map((p) => [p.name, JSON.stringify(p.body)]));
const result = { subset: subset.map((p) => p.name), corpus: {}, add_one_member: {} };
for (const target of Object.keys(targets)) {
  const requests = subset.filter((p) => targetOf(p) === target);
  const ns = median(
    () => requests.map((p) => [texts.get(p.name), structuredClone(targets[target])]),
    (pairs) => { for (const [body, resource] of pairs) apply(body, resource); },
    50,
    target === 'user' ? 200 : 5,
  );
  result.corpus[target] = { requests: requests.length, median_ns: ns };
}

function groupOf(n) {
  const hex = (i, w) => i.toString(16).padStart(w, '0');
  const members = Array.from({ length: n }, (_, i) => {
    const id = `${hex(i, 8)}-0000-4000-8000-${hex(i, 12)}`;
    return { value: id, $ref: `https://example.com/v2/Users/${id}`, display: `User ${i}` };
  });
  return { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g', displayName: 'Big', members };
}
const addOne = JSON.stringify({
  schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
  Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: 'new-member' }] }],
});
for (const n of [1000, 10000, 100000]) {
  const group = groupOf(n);
  result.add_one_member[n] = median(
    () => [addOne, structuredClone(group)],
    ([body, resource]) => apply(body, resource),
    n === 100000 ? 15 : 30,
    n === 100000 ? 3 : 20,
  );
}

writeFileSync(process.argv[2], JSON.stringify(result, null, 1));
console.log(JSON.stringify(result));
