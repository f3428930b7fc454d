/**
 * verify/xml-read: the documents createrepo_c writes read back as written; every kind of malformed input
 * is a RepoError VERIFY_FAILED naming where it goes wrong; and random or mutated input never does
 * anything else (no other error, no hang, no stack overflow).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isRepoError } from "../../src/errors.ts";
import {
  childElements,
  decodeXml,
  parseXml,
  readXml,
  textOf,
  type XmlElement,
} from "../../src/verify/xml-read.ts";

const WHERE = "rpm/el/9/x86_64/repodata/x-primary.xml.gz";

/** Asserts `text` is refused, the message matching `pattern`; returns the error's data. */
function refused(text: string, pattern: RegExp): Record<string, unknown> {
  try {
    parseXml(text, WHERE);
  } catch (e) {
    assert.ok(isRepoError(e) && e.code === "VERIFY_FAILED", String(e));
    assert.ok(e.message.startsWith(`${WHERE}: not well-formed XML: expected `), e.message);
    assert.match(e.message, pattern);
    return e.data;
  }
  assert.fail(`accepted ${JSON.stringify(text)}`);
}

test("a createrepo_c-style document reads with its attributes, text, entities and prefixes", () => {
  const doc = parseXml(
    `<?xml version="1.0" encoding="UTF-8"?>
<!-- made by hand -->
<metadata xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="1">
<package type="rpm">
  <name>hello</name>
  <version epoch="0" ver="1.0" rel="1"/>
  <summary>Test &amp; &lt;friends&gt; &#233;&#x1F600; &quot;q&quot; &apos;a&apos;</summary>
  <description><![CDATA[a <raw> & text]]> and more</description>
  <location href='../../../pool/h/hello-1.0-1.x86_64.rpm' title="tab&#9;and	tab"/>
  <format><rpm:entry name="hello" flags="EQ"/><?pi data?></format>
</package>
</metadata>
`,
    WHERE,
  );
  assert.equal(doc.name, "metadata");
  assert.equal(doc.attributes.packages, "1");
  assert.equal(doc.attributes["xmlns:rpm"], "http://linux.duke.edu/metadata/rpm");
  const pkg = childElements(doc, "package")[0]!;
  const field = (name: string) => childElements(pkg, name)[0]!;
  assert.equal(textOf(field("name")), "hello");
  assert.equal(textOf(field("summary")), `Test & <friends> é😀 "q" 'a'`);
  assert.equal(textOf(field("description")), "a <raw> & text and more");
  assert.deepEqual({ ...field("version").attributes }, { epoch: "0", ver: "1.0", rel: "1" });
  assert.equal(field("location").attributes.href, "../../../pool/h/hello-1.0-1.x86_64.rpm");
  // A literal tab reads as a space (attribute-value normalization), a referenced one stays a tab.
  assert.equal(field("location").attributes.title, "tab\tand tab");
  assert.equal(childElements(field("format"))[0]!.name, "rpm:entry");
});

test("readXml reports depths in document order and text only inside the root", () => {
  const events: string[] = [];
  readXml(
    "<a x='1'><b>t</b><c/></a>\n",
    {
      open: (name, attrs, depth) => events.push(`open ${name} ${depth} ${JSON.stringify(attrs)}`),
      close: (name, depth) => events.push(`close ${name} ${depth}`),
      text: (t, depth) => events.push(`text ${JSON.stringify(t)} ${depth}`),
    },
    WHERE,
  );
  assert.deepEqual(events, [
    'open a 0 {"x":"1"}',
    "open b 1 {}",
    'text "t" 1',
    "close b 1",
    "open c 1 {}",
    "close c 1",
    "close a 0",
  ]);
});

test("malformed documents are refused with what was expected, what was found and where", () => {
  const data = refused("<a>\n  <b></c>\n</a>", /expected <\/b>, found <\/c> \(line 2, column 6\)$/);
  assert.equal(data.offset, 9);
  assert.equal(data.line, 2);
  refused("<a><b></b>", /expected <\/a>, found end of document/);
  refused("", /expected the root element, found end of document/);
  refused("just text", /expected the root element/);
  refused("<a/><b/>", /expected nothing after the root element but comments/);
  refused("<a/>trailing", /nothing after the root element/);
  refused('<a x="1" x="2"/>', /attribute x only once in <a>/);
  refused('<a x="1"y="2"/>', /whitespace, '>' or '\/>' in <a>/);
  refused("<a x=1/>", /a quoted value for attribute x/);
  refused('<a x="1/>', /'"' closing the value of attribute x/);
  refused('<a x="<"/>', /no '<' in the value of attribute x/);
  refused("<a>&nbsp;</a>", /one of &amp; &lt; &gt; &quot; &apos; or a character reference/);
  refused("<a>fish & chips</a>", /an entity or character reference after '&'/);
  refused("<a>&#0;</a>", /a reference to a valid XML character/);
  refused("<a>&#x110000;</a>", /a reference to a valid XML character/);
  refused("<a>&#xD800;</a>", /a reference to a valid XML character/);
  refused("<a>\u0001</a>", /only characters XML allows, found U\+0001/);
  refused("<a>\uD800</a>", /only characters XML allows, found U\+D800/);
  refused('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', /no DOCTYPE/);
  refused("<a><!-- a -- b --></a>", /no '--' inside a comment/);
  refused("<a><!-- a ---></a>", /no '--' inside a comment, found '--' \(line 1, column 11\)/);
  assert.equal(parseXml("<a><!----></a>", WHERE).name, "a");
  refused("<a><!-- open</a>", /'-->' closing a comment/);
  refused("<a><![CDATA[open</a>", /']]>' closing a CDATA section/);
  refused("<a>]]></a>", /no ']]>' in text/);
  refused("<a><!ELEMENT a ANY></a>", /an element, comment, CDATA section or processing instruction/);
  refused(' <?xml version="1.0"?><a/>', /the XML declaration first in the document/);
  refused('<?xml version="1.0"?><a><?xml version="1.0"?></a>', /no XML declaration here/);
  refused('<?xml version="1.0" encoding="ISO-8859-1"?><a/>', /encoding UTF-8/);
  refused("<?xml encoding='UTF-8'?><a/>", /starting with version="1.x"/);
  refused("<1a/>", /an element name after '<'/);
  refused("<a></ a>", /an element name after '<\/'/);
  refused("<a></a x>", /'>' closing <\/a/);
});

test("nesting is bounded: a deep document is refused, not a stack overflow", () => {
  refused("<a>".repeat(100_000), /elements nested at most 256 deep/);
  assert.throws(() => parseXml("<a><b><c/></b></a>", WHERE, { maxDepth: 2 }), /nested at most 2 deep/);
  assert.equal(parseXml("<a><b><c/></b></a>", WHERE, { maxDepth: 3 }).name, "a");
});

test("decodeXml reads UTF-8 (a BOM dropped) and refuses other bytes", () => {
  assert.equal(decodeXml(new Uint8Array([0xef, 0xbb, 0xbf, 0x3c, 0x61, 0x2f, 0x3e]), WHERE), "<a/>");
  assert.throws(
    () => decodeXml(new Uint8Array([0x3c, 0x61, 0x3e, 0xe9, 0x3c, 0x2f, 0x61, 0x3e]), WHERE),
    (e) => isRepoError(e) && e.code === "VERIFY_FAILED" && /invalid UTF-8/.test(e.message),
  );
});

// --- properties -------------------------------------------------------------------------------------------

/** Text as createrepo_c escapes it (& < > in text; & < " in attributes). */
function escaped(s: string, attribute: boolean): string {
  const t = s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return attribute ? t.replace(/"/g, "&quot;") : t;
}

function serialize(e: XmlElement): string {
  const attrs = Object.entries(e.attributes)
    .map(([k, v]) => ` ${k}="${escaped(v, true)}"`)
    .join("");
  if (e.children.length === 0) return `<${e.name}${attrs}/>`;
  const body = e.children.map((c) => (typeof c === "string" ? escaped(c, false) : serialize(c))).join("");
  return `<${e.name}${attrs}>${body}</${e.name}>`;
}

/** XML characters (tab/LF and printable; no CR: a parser may normalize line ends), any plane. */
const xmlChar = fc.oneof(
  fc.constantFrom("\t", "\n", "&", "<", ">", '"', "'", "]", "é", "😀"),
  fc.integer({ min: 0x20, max: 0xd7ff }).map((c) => String.fromCharCode(c)),
);
const xmlText = fc.string({ unit: xmlChar, minLength: 1, maxLength: 12 });
const xmlName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9._-]{0,6}(:[A-Za-z][A-Za-z0-9]{0,4})?$/);

const { tree } = fc.letrec<{ tree: XmlElement }>((tie) => ({
  tree: fc.record({
    name: xmlName,
    attributes: fc.dictionary(xmlName, fc.string({ unit: xmlChar, maxLength: 8 }), { maxKeys: 3 }),
    children: fc
      .array(fc.oneof({ depthSize: "small", withCrossShrink: true }, xmlText, tie("tree")), { maxLength: 4 })
      // The reader joins adjacent text pieces: so does the model.
      .map((cs) =>
        cs.reduce<(XmlElement | string)[]>((out, c) => {
          const last = out[out.length - 1];
          if (typeof c === "string" && typeof last === "string") out[out.length - 1] = last + c;
          else out.push(c);
          return out;
        }, []),
      ),
  }),
}));

function plain(e: XmlElement): unknown {
  // Attribute values read with tabs and line feeds as spaces (§3.3.3).
  return {
    name: e.name,
    attributes: Object.fromEntries(
      Object.entries(e.attributes).map(([k, v]) => [k, v.replace(/[\t\n]/g, " ")]),
    ),
    children: e.children.map((c) => (typeof c === "string" ? c : plain(c))),
  };
}

test("property: a serialized tree reads back as the same tree", () => {
  fc.assert(
    fc.property(tree, (t) => {
      const back = parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n${serialize(t)}\n`, WHERE);
      assert.deepEqual(plain(back), plain(t));
    }),
    { numRuns: 300 },
  );
});

/** Either it reads, or it is refused as malformed: nothing else. */
function readsOrRefuses(input: string): void {
  try {
    parseXml(input, WHERE);
  } catch (e) {
    if (!isRepoError(e) || e.code !== "VERIFY_FAILED") throw e;
    assert.equal(typeof e.data.offset === "number" || e.data.offset === undefined, true);
  }
}

const SAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<metadata xmlns="http://linux.duke.edu/metadata/common" packages="1">
<package type="rpm"><name>a&amp;b</name><version epoch="0" ver="1" rel="1"/>
<checksum type="sha256" pkgid="YES">00ff</checksum><!-- c --><description><![CDATA[x]]>&#65;</description>
<location href="../pool/a.rpm"/></package>
</metadata>
`;

test("fuzz: random text and mutated documents read or are refused, never anything else", () => {
  fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), readsOrRefuses), { numRuns: 500 });
  const pieces = fc.constantFrom(
    "<",
    ">",
    "/>",
    "</",
    "&",
    ";",
    "&#",
    "&#x",
    '"',
    "'",
    "=",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?",
    "?>",
    "<!",
    "a",
    " ",
    "\n",
    "\u0000",
    "\uD800",
  );
  fc.assert(fc.property(fc.string({ unit: pieces, maxLength: 60 }), readsOrRefuses), { numRuns: 1000 });
  // Mutations of a real-looking document: delete, insert or replace a few slices.
  const mutation = fc.tuple(
    fc.nat({ max: SAMPLE.length }),
    fc.nat({ max: 8 }),
    fc.oneof(pieces, fc.string({ unit: "binary", maxLength: 4 })),
  );
  fc.assert(
    fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (mutations) => {
      let doc = SAMPLE;
      for (const [at, cut, insert] of mutations) doc = doc.slice(0, at) + insert + doc.slice(at + cut);
      readsOrRefuses(doc);
    }),
    { numRuns: 1000 },
  );
});
