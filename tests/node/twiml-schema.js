"use strict";
// Prints, as JSON, what Twilio's helper library defines for voice TwiML (or, given
// {"response": "MessagingResponse"} on stdin, messaging TwiML): for every element
// reachable from <Response>, the children it may hold (tag -> element class, attribute set,
// text), and every attribute set (name -> type: string, number, boolean or a list of values).
//
// Tag names come from running the library's builder classes (VoiceResponse.js); attribute
// names and types from its typings (VoiceResponse.d.ts), which the runtime code no longer
// carries. Anything in either file this script does not understand stops it with an error,
// so a changed library cannot quietly loosen the checks built on it.

const fs = require("fs");
const path = require("path");

const KINDS = new Set(["VoiceResponse", "MessagingResponse"]);
const REQUEST = JSON.parse(fs.readFileSync(0, "utf8") || "null") || {};
const ROOT_CLASS = REQUEST.response || "VoiceResponse";
if (!KINDS.has(ROOT_CLASS)) {
  throw new Error(`twiml-schema: unknown response ${ROOT_CLASS}`);
}
const LIB = path.dirname(require.resolve(`twilio/lib/twiml/${ROOT_CLASS}`));
const Root = require(`twilio/lib/twiml/${ROOT_CLASS}`);
const SKIPPED_METHODS = new Set(["constructor", "comment", "commentAfter", "commentBefore"]);

function fail(message) {
  throw new Error(`twiml-schema: ${message}`);
}

function stripComments(source) {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

// `type X = "a" | "b";` -> {X: ["a", "b"]}
function parseAliases(source) {
  const aliases = {};
  for (const match of source.matchAll(/^\s*type (\w+) = ([^;]+);/gm)) {
    const parts = match[2].split("|").map((part) => part.trim());
    if (!parts.every((part) => /^"[^"]*"$/.test(part))) {
      fail(`type ${match[1]} is not a union of string literals: ${match[2]}`);
    }
    aliases[match[1]] = parts.map((part) => part.slice(1, -1));
  }
  return aliases;
}

function attributeType(raw, aliases, where) {
  const list = raw.endsWith("[]");
  const base = list ? raw.slice(0, -2) : raw;
  if (["string", "number", "boolean"].includes(base)) {
    return { type: base, list };
  }
  if (base in aliases) {
    return { type: "enum", list, values: aliases[base] };
  }
  return fail(`${where}: unknown attribute type ${raw}`);
}

// Interfaces of the same name merge, as TypeScript merges them; a property may not change type.
function parseInterfaces(source, aliases) {
  const interfaces = {};
  for (const match of source.matchAll(/(?:export )?interface (\w+) \{([^{}]*)\}/g)) {
    const [, name, body] = match;
    const merged = (interfaces[name] = interfaces[name] || {});
    for (const line of body.split(";").map((l) => l.trim()).filter(Boolean)) {
      const property = /^("?)([\w:-]+)\1\?: (\w+(?:\[\])?)$/.exec(line);
      if (!property) {
        fail(`interface ${name}: cannot read property "${line}"`);
      }
      const type = attributeType(property[3], aliases, `${name}.${property[2]}`);
      const known = merged[property[2]];
      if (known && JSON.stringify(known) !== JSON.stringify(type)) {
        fail(`interface ${name}: ${property[2]} is declared with two types`);
      }
      merged[property[2]] = type;
    }
  }
  return interfaces;
}

function parseParams(text, where) {
  if (!text.trim()) {
    return [];
  }
  return text.split(",").map((param) => {
    const match = /^\s*(\w+)(\??): ([\w.]+)\s*$/.exec(param);
    if (!match) {
      fail(`${where}: cannot read parameter "${param}"`);
    }
    return { name: match[1], optional: match[2] === "?", type: match[3] };
  });
}

// Every class body: its methods that add a child element, overloads folded together.
function parseClasses(source) {
  const classes = {};
  const pattern = /(?:(?:declare|export) )?class (\w+) extends TwiML \{([^{}]*)\}/g;
  for (const [, name, body] of source.matchAll(pattern)) {
    const methods = (classes[name] = {});
    const signature = new RegExp(`^\\s*(\\w+)\\(([^)]*)\\): ${ROOT_CLASS}\\.(\\w+);$`, "gm");
    for (const [, method, params, returns] of body.matchAll(signature)) {
      const where = `${name}.${method}`;
      const entry = (methods[method] = methods[method] || {
        class: returns, attributes: null, text: null, overloads: [],
      });
      if (entry.class !== returns) {
        fail(`${where}: overloads return different classes`);
      }
      entry.overloads.push(parseParams(params, where));
    }
    for (const [method, entry] of Object.entries(methods)) {
      Object.assign(entry, foldOverloads(`${name}.${method}`, entry.overloads));
      delete entry.overloads;
    }
  }
  if (!(ROOT_CLASS in classes)) {
    fail(`no class ${ROOT_CLASS} in ${ROOT_CLASS}.d.ts`);
  }
  return classes;
}

// `say(message: string)` + `say(attributes: SayAttributes, message: string)` ->
// attributes SayAttributes, text "message" required in every overload.
function foldOverloads(where, overloads) {
  let attributes = null;
  const texts = [];
  for (const params of overloads) {
    const text = params.filter((p) => p.name !== "attributes");
    if (text.length > 1) {
      fail(`${where}: more than one text parameter`);
    }
    texts.push(text[0] || null);
    for (const param of params.filter((p) => p.name === "attributes")) {
      if (param.type === "object") {
        continue; // a verb without attributes of its own
      }
      const declared = new RegExp(`^${ROOT_CLASS}\\.(\\w+)$`).exec(param.type);
      if (!declared || (attributes && attributes !== declared[1])) {
        fail(`${where}: attributes of type ${param.type}`);
      }
      attributes = declared[1];
    }
  }
  const named = texts.filter(Boolean);
  if (named.length === 0) {
    return { attributes, text: null };
  }
  const required = texts.every((t) => t && !t.optional);
  return { attributes, text: { name: named[0].name, required } };
}

// Walk the builder from <Response>: call each declared method once to learn the tag it writes.
function buildElements(classes, interfaces) {
  const elements = {};
  const queue = [[ROOT_CLASS, new Root()]];
  while (queue.length) {
    const [name, instance] = queue.shift();
    if (name in elements) {
      continue;
    }
    const declared = classes[name];
    if (!declared) {
      fail(`class ${name} is built but not declared`);
    }
    checkRuntimeMethods(name, instance, declared);
    const children = {};
    for (const [method, entry] of Object.entries(declared)) {
      const child = instance[method]({}, "x");
      const actual = child && child.constructor && child.constructor.name;
      if (actual !== entry.class) {
        fail(`${name}.${method} builds ${actual}, declared ${entry.class}`);
      }
      const tag = child._getXml().name;
      if (tag in children) {
        fail(`${name}: two methods write <${tag}>`);
      }
      if (entry.attributes && !(entry.attributes in interfaces)) {
        fail(`${name}.${method}: no interface ${entry.attributes}`);
      }
      children[tag] = { class: entry.class, attributes: entry.attributes, text: entry.text };
      queue.push([entry.class, child]);
    }
    elements[name] = { children };
  }
  return elements;
}

function checkRuntimeMethods(name, instance, declared) {
  const prototype = Object.getPrototypeOf(instance);
  for (const method of Object.getOwnPropertyNames(prototype)) {
    if (!SKIPPED_METHODS.has(method) && typeof prototype[method] === "function" &&
        !(method in declared)) {
      fail(`${name}.${method} exists at run time but is not declared`);
    }
  }
}

function main() {
  const typings = stripComments(fs.readFileSync(path.join(LIB, `${ROOT_CLASS}.d.ts`), "utf8"));
  const aliases = parseAliases(typings);
  const interfaces = parseInterfaces(typings, aliases);
  const classes = parseClasses(typings);
  const elements = buildElements(classes, interfaces);
  const pkg = JSON.parse(fs.readFileSync(path.join(LIB, "..", "..", "package.json"), "utf8"));
  const used = new Set();
  for (const element of Object.values(elements)) {
    for (const child of Object.values(element.children)) {
      if (child.attributes) used.add(child.attributes);
    }
  }
  const attributes = Object.fromEntries([...used].sort().map((n) => [n, interfaces[n]]));
  process.stdout.write(JSON.stringify({
    source: `${pkg.name} ${pkg.version}`,
    root: { tag: "Response", class: ROOT_CLASS },
    elements,
    attributes,
  }));
}

main();
