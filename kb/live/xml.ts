import { XMLParser, XMLValidator } from 'fast-xml-parser';

/**
 * E-utilities XML through fast-xml-parser, seen as a small element tree (name, attributes,
 * children in document order) so that mixed text such as <AbstractText> with inline <i>/<sup>
 * reads in order. External entities are refused by the parser and DOCTYPE entities expand
 * only within its default limits.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

export class XmlError extends Error {}

const parser = new XMLParser({
  // Mixed content keeps its order only in the ordered output.
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  // Text and attribute values stay strings: a PMID or year is never turned into a number.
  parseTagValue: false,
  parseAttributeValue: false,
  // Whitespace between inline elements is part of the text ("H<sub>2</sub>O is").
  trimValues: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Numeric character references (&#x2019;) are only decoded with this option in fast-xml-parser 5.
  htmlEntities: true,
});

/** fast-xml-parser's ordered output: `{ [tag]: children, ':@'?: attrs }` or `{ '#text': value }`. */
type OrderedNode = Record<string, unknown>;

function toTree(node: OrderedNode): XmlElement | string | undefined {
  for (const [key, value] of Object.entries(node)) {
    if (key === ':@') continue;
    if (key === '#text') return String(value);
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries((node[':@'] ?? {}) as Record<string, unknown>)) attrs[k] = String(v);
    const kids = Array.isArray(value) ? (value as OrderedNode[]) : [];
    return { name: key, attrs, children: kids.map(toTree).filter((c) => c !== undefined) };
  }
  return undefined;
}

/** Parses a document and returns its root element; malformed markup throws XmlError. */
export function parseXml(text: string): XmlElement {
  // The parser itself is lenient (an unclosed tag is closed for you): check well-formedness first.
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    const { msg, line, col } = valid.err;
    throw new XmlError(`${msg.replace(/\s+/g, ' ')} (line ${line}${col ? `, column ${col}` : ''})`);
  }
  let nodes: OrderedNode[];
  try {
    nodes = parser.parse(text) as OrderedNode[];
  } catch (err) {
    throw new XmlError((err as Error).message);
  }
  const root = nodes.map(toTree).find((n): n is XmlElement => typeof n === 'object');
  if (!root) throw new XmlError('no root element');
  return root;
}

/** Child elements with a name. */
export function children(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c): c is XmlElement => typeof c !== 'string' && c.name === name) : [];
}

/** The first element at a path of child names. */
export function child(el: XmlElement | undefined, ...path: string[]): XmlElement | undefined {
  let cur = el;
  for (const p of path) cur = children(cur, p)[0];
  return cur;
}

/** All text inside an element, inline markup (<i>, <sup>) flattened, whitespace collapsed. */
export function textOf(el: XmlElement | undefined): string {
  if (!el) return '';
  const parts: string[] = [];
  const walk = (e: XmlElement) => {
    for (const c of e.children) {
      if (typeof c === 'string') parts.push(c);
      else walk(c);
    }
  };
  walk(el);
  return parts.join('').replace(/\s+/g, ' ').trim();
}
