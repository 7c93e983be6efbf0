import {
  accountListingXml,
  containerListingXml,
  escapeXmlAttribute,
  escapeXmlText,
  listingContentType,
  listingText,
  renderListing,
  type ListingItem,
} from '../../../../../services/object/proxy/listing-format';

const OBJ = { name: 'a&b<c>.txt', hash: 'd41d8cd98f00b204e9800998ecf8427e', bytes: 0, content_type: 'text/plain', last_modified: '2026-11-25T18:00:00.123450' };
const CONT = { name: 'photos', count: 3, bytes: 1024, last_modified: '2026-11-25T18:00:00.000000' };

describe('listingContentType: format= beats Accept', () => {
  test.each<[string | null, string | undefined, string | undefined]>([
    [null, undefined, 'text/plain'],
    [null, '', 'text/plain'],
    [null, '*/*', 'text/plain'],
    [null, 'application/json', 'application/json'],
    [null, 'application/xml', 'application/xml'],
    [null, 'text/xml', 'text/xml'],
    [null, 'text/*', 'text/plain'],
    [null, 'application/*', 'application/json'],
    [null, 'text/html', undefined],
    [null, 'image/png, text/html', undefined],
    [null, 'garbage', undefined],
    [null, 'text/plain;q=abc', undefined],
    [null, 'application/json;q=0.5, application/xml', 'application/xml'],
    [null, 'application/json;q=0.5, text/xml;q=0.9', 'text/xml'],
    [null, '*/*;q=0.1, application/json', 'application/json'],
    [null, 'application/json;q=0, */*', 'text/plain'],
    [null, 'application/json; charset=utf-8', 'application/json'],
    [null, 'APPLICATION/JSON', 'application/json'],
    ['json', 'application/xml', 'application/json'],
    ['JSON', undefined, 'application/json'],
    ['xml', 'application/json', 'application/xml'],
    ['plain', 'application/json', 'text/plain'],
    ['bogus', 'application/json', 'text/plain'],
    ['', 'application/json', 'application/json'],
  ])('format=%p Accept=%p → %p', (format, accept, expected) => {
    expect(listingContentType(format, accept)).toBe(expected);
  });
});

describe('XML escaping as ElementTree', () => {
  test('text escapes & < > only', () => {
    expect(escapeXmlText(`a&b<c>"d'`)).toBe(`a&amp;b&lt;c&gt;"d'`);
  });
  test('attributes also escape quotes and CR/LF/TAB', () => {
    expect(escapeXmlAttribute('a"b\nc\rd\te&<>')).toBe('a&quot;b&#10;c&#13;d&#09;e&amp;&lt;&gt;');
  });
});

describe('container XML', () => {
  test('objects and subdirs in Swift shape', () => {
    const xml = containerListingXml('my "c"', [OBJ, { subdir: 'dir/' }]);
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<container name="my &quot;c&quot;">' +
        '<object><name>a&amp;b&lt;c&gt;.txt</name><hash>d41d8cd98f00b204e9800998ecf8427e</hash><bytes>0</bytes>' +
        '<content_type>text/plain</content_type><last_modified>2026-11-25T18:00:00.123450</last_modified></object>' +
        '<subdir name="dir/"><name>dir/</name></subdir>' +
        '</container>',
    );
  });
  test('empty container is a self-closing root', () => {
    expect(containerListingXml('c', [])).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<container name="c" />');
  });
  test('non-ASCII names stay as characters', () => {
    expect(containerListingXml('ça', [{ subdir: 'é/' }])).toContain('<container name="ça"><subdir name="é/"><name>é/</name></subdir>');
  });
});

describe('account XML', () => {
  test('containers and subdirs with the newlines Swift writes', () => {
    expect(accountListingXml('AUTH_x', [CONT, { subdir: 'p/' }])).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<account name="AUTH_x">\n' +
        '<container><name>photos</name><count>3</count><bytes>1024</bytes><last_modified>2026-11-25T18:00:00.000000</last_modified></container>\n' +
        '<subdir name="p/" />\n' +
        '</account>',
    );
  });
  test('empty account keeps its newline', () => {
    expect(accountListingXml('AUTH_x', [])).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<account name="AUTH_x">\n</account>');
  });
});

describe('plain text', () => {
  test('one name or subdir per line', () => {
    expect(listingText([OBJ, { subdir: 'd/' }, CONT])).toBe('a&b<c>.txt\nd/\nphotos\n');
  });
});

describe('renderListing', () => {
  const items: ListingItem[] = [OBJ, { subdir: 'd/' }];
  test.each<['application/json' | 'application/xml' | 'text/xml' | 'text/plain', number, number]>([
    ['application/json', 0, 200],
    ['application/xml', 0, 200],
    ['text/xml', 0, 200],
    ['text/plain', 0, 204],
    ['application/json', 2, 200],
    ['text/plain', 2, 200],
  ])('%s with %d items → %d', (contentType, n, status) => {
    const r = renderListing({ kind: 'container', name: 'c', contentType, items: items.slice(0, n) });
    expect(r.status).toBe(status);
    expect(r.contentType).toBe(`${contentType}; charset=utf-8`);
    if (status === 204) expect(r.body.length).toBe(0);
  });
  test('json is the items as JSON, UTF-8 encoded', () => {
    const r = renderListing({ kind: 'account', name: 'AUTH_x', contentType: 'application/json', items: [{ ...CONT, name: 'ü' }] });
    expect(JSON.parse(r.body.toString('utf8'))).toEqual([{ ...CONT, name: 'ü' }]);
    expect(r.body.equals(Buffer.from(JSON.stringify([{ ...CONT, name: 'ü' }]), 'utf8'))).toBe(true);
  });
  test('empty json is []', () => {
    expect(renderListing({ kind: 'account', name: 'a', contentType: 'application/json', items: [] }).body.toString()).toBe('[]');
  });
  test('account vs container XML by kind', () => {
    expect(renderListing({ kind: 'account', name: 'a', contentType: 'text/xml', items: [] }).body.toString()).toContain('<account name="a">');
    expect(renderListing({ kind: 'container', name: 'a', contentType: 'text/xml', items: [] }).body.toString()).toContain('<container name="a" />');
  });
});
