import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';
import { AppManifestUtils } from '@microsoft/app-manifest';
import { unzipSync } from 'fflate';
import sinon from 'sinon';
import {
  buildManifest,
  loadBundledSchema,
  localizationSchemaUrl,
  ManifestConfigError,
  manifestSchemaUrl,
  packageApp,
  pngSize,
  readEnv,
  referencedFiles,
  validateOffline,
  type ManifestShape,
} from '../scripts/package-app';

const manifestDir = path.resolve(__dirname, '..', 'manifest');
const template = readFileSync(path.join(manifestDir, 'manifest.json'), 'utf8');
const readJson = (file: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path.join(manifestDir, file), 'utf8')) as Record<string, unknown>;

const ENV = {
  TEAMS_APP_ID: '3f2c1a9e-8b7d-4c6e-9a5f-1e2d3c4b5a69',
  MicrosoftAppId: '7d9e0f1a-2b3c-4d5e-8f6a-7b8c9d0e1f2a',
  BOT_DOMAIN: 'hwc.example.nl',
  APP_DEVELOPER_NAME: 'Stichting Onderwijs Zuid',
};

const filled = (): ManifestShape & Record<string, unknown> =>
  buildManifest(template, ENV) as unknown as ManifestShape & Record<string, unknown>;

/** Decodes an 8-bit RGBA or RGB, non-interlaced PNG into RGBA pixels. */
function decodePng(png: Buffer): { width: number; height: number; rgba: Uint8Array } {
  const { width, height } = pngSize(png);
  const [bitDepth, colourType, , , interlace] = png.subarray(24, 29);
  assert.equal(bitDepth, 8, 'test decoder supports 8-bit PNGs only');
  assert.ok(colourType === 6 || colourType === 2, 'test decoder supports RGB(A) PNGs only');
  assert.equal(interlace, 0, 'test decoder supports non-interlaced PNGs only');
  const channels = colourType === 6 ? 4 : 3;
  const idat: Buffer[] = [];
  for (let off = 8; off < png.length;) {
    const len = png.readUInt32BE(off);
    if (png.toString('ascii', off + 4, off + 8) === 'IDAT') idat.push(png.subarray(off + 8, off + 8 + len));
    off += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = new Uint8Array(width * height * 4);
  let prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const cur = new Uint8Array(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? (cur[i - channels] as number) : 0;
      const b = prev[i] as number;
      const c = i >= channels ? (prev[i - channels] as number) : 0;
      const x = line[i] as number;
      let v: number;
      if (filter === 0) v = x;
      else if (filter === 1) v = x + a;
      else if (filter === 2) v = x + b;
      else if (filter === 3) v = x + ((a + b) >> 1);
      else if (filter === 4) {
        const p = a + b - c;
        const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      } else throw new Error(`bad PNG filter ${filter}`);
      cur[i] = v & 0xff;
    }
    for (let px = 0; px < width; px++) {
      for (let ch = 0; ch < 4; ch++) {
        out[(y * width + px) * 4 + ch] = ch < channels ? (cur[px * channels + ch] as number) : 255;
      }
    }
    prev = cur;
  }
  return { width, height, rgba: out };
}

/** Flattens a JSON value to the key syntax of Teams localization files: `a.b[0].c`. */
function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
  return out;
}

describe('Teams app manifest', () => {
  let fetchStub: sinon.SinonStub;
  let fetchSchemaStub: sinon.SinonStub;

  beforeEach(() => {
    // Any attempt to fetch a schema (or anything else) over the network fails the test.
    fetchStub = sinon.stub(globalThis, 'fetch').rejects(new Error('network access in a test'));
    fetchSchemaStub = sinon
      .stub(AppManifestUtils, 'fetchSchema')
      .rejects(new Error('schema fetch in a test'));
  });

  afterEach(() => {
    assert.equal(fetchStub.callCount, 0, 'fetch was called');
    assert.equal(fetchSchemaStub.callCount, 0, 'AppManifestUtils.fetchSchema was called');
    sinon.restore();
  });

  it('filled with test values, validates against the bundled schema with zero errors', async () => {
    const manifest = filled();
    assert.equal(manifest.$schema, manifestSchemaUrl(manifest.manifestVersion));
    const errors = await validateOffline(manifest, manifestSchemaUrl(manifest.manifestVersion));
    assert.deepEqual(errors, []);
    assert.equal(manifest.id, ENV.TEAMS_APP_ID);
    assert.doesNotMatch(JSON.stringify(manifest), /\$\{\{/);
  });

  it('the validator does report errors (so the test above can fail)', async () => {
    const manifest = filled();
    const broken = {
      ...manifest,
      description: { short: 'x'.repeat(81), full: 'f' },
      bots: [{ ...(manifest.bots as object[])[0], scopes: ['classroom'] }],
      unknownProperty: true,
    };
    const errors = await validateOffline(broken, manifestSchemaUrl(manifest.manifestVersion));
    assert.ok(
      errors.some((e) => e.includes('/description/short')),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => e.includes('/bots/0/scopes')),
      errors.join('\n'),
    );
    assert.ok(
      errors.some((e) => e.includes('unknownProperty')),
      errors.join('\n'),
    );
  });

  it('reads schemas from the @microsoft/app-manifest package and refuses unbundled versions', () => {
    const schema = loadBundledSchema(manifestSchemaUrl(filled().manifestVersion)) as {
      properties: { manifestVersion: { const?: string } };
    };
    assert.equal(schema.properties.manifestVersion.const, filled().manifestVersion);
    assert.throws(() => loadBundledSchema(manifestSchemaUrl('9.99')), /no bundled copy/);
    assert.throws(() => loadBundledSchema('https://example.com/schema.json'), /Not a Teams schema URL/);
  });

  it('has the bot in personal scope only, with no file support, conversational, and minimal permissions', () => {
    const manifest = filled();
    const bots = manifest.bots as Record<string, unknown>[];
    assert.equal(bots.length, 1);
    const bot = bots[0] as Record<string, unknown>;
    assert.equal(bot.botId, ENV.MicrosoftAppId);
    assert.deepEqual(bot.scopes, ['personal']);
    assert.equal(bot.supportsFiles, false);
    assert.equal(bot.isNotificationOnly, false);
    assert.deepEqual(manifest.validDomains, [ENV.BOT_DOMAIN]);
    assert.equal(manifest.permissions, undefined);
    // Only for installing itself for a colleague through Graph (TeamsAppInstallation.ReadWriteSelfForUser.All).
    assert.deepEqual(manifest.webApplicationInfo, {
      id: ENV.MicrosoftAppId,
      resource: `api://${ENV.BOT_DOMAIN}/${ENV.MicrosoftAppId}`,
    });
    assert.equal(manifest.authorization, undefined, 'no resource-specific consent');
    for (const key of ['websiteUrl', 'privacyUrl', 'termsOfUseUrl']) {
      assert.match(
        (manifest.developer as Record<string, string>)[key] as string,
        /^https:\/\/hwc\.example\.nl\//,
      );
    }
  });

  it('uses exactly the placeholders of the settings, the publisher included', () => {
    const names = new Set([...template.matchAll(/\$\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]));
    assert.deepEqual(
      [...names].sort(),
      [
        'APP_DEVELOPER_NAME',
        'APP_DEVELOPER_WEBSITE_URL',
        'APP_PRIVACY_URL',
        'APP_TERMS_URL',
        'BOT_DOMAIN',
        'MicrosoftAppId',
        'TEAMS_APP_ID',
      ].sort(),
    );
    assert.doesNotMatch(template, /School ICT/);
  });

  it('takes the publisher from APP_DEVELOPER_NAME, the URLs by default from BOT_DOMAIN', () => {
    assert.deepEqual(buildManifest(template, { ...ENV, BOT_DOMAIN: 'HWC.Example.NL' }).developer, {
      name: 'Stichting Onderwijs Zuid',
      websiteUrl: 'https://hwc.example.nl/',
      privacyUrl: 'https://hwc.example.nl/privacy',
      termsOfUseUrl: 'https://hwc.example.nl/terms',
    });
    // Empty, as in .env.sample, counts as not set.
    const blank = { ...ENV, APP_DEVELOPER_WEBSITE_URL: '', APP_PRIVACY_URL: ' ', APP_TERMS_URL: '' };
    assert.equal(buildManifest(template, blank).developer.privacyUrl, 'https://hwc.example.nl/privacy');
  });

  it('takes the URLs from APP_DEVELOPER_WEBSITE_URL, APP_PRIVACY_URL and APP_TERMS_URL when set', async () => {
    const manifest = buildManifest(template, {
      ...ENV,
      APP_DEVELOPER_NAME: 'Stichting "De Linde" \\ Zuid',
      APP_DEVELOPER_WEBSITE_URL: 'https://www.schoolbestuur.example/',
      APP_PRIVACY_URL: 'https://www.schoolbestuur.example/privacy?taal=nl#hwc',
      APP_TERMS_URL: ' https://www.schoolbestuur.example/voorwaarden ',
    });
    assert.deepEqual(manifest.developer, {
      name: 'Stichting "De Linde" \\ Zuid',
      websiteUrl: 'https://www.schoolbestuur.example/',
      privacyUrl: 'https://www.schoolbestuur.example/privacy?taal=nl#hwc',
      termsOfUseUrl: 'https://www.schoolbestuur.example/voorwaarden',
    });
    assert.deepEqual(await validateOffline(manifest, manifestSchemaUrl(manifest.manifestVersion)), []);
  });

  it('refuses a package without APP_DEVELOPER_NAME, naming the setting', () => {
    for (const name of [undefined, '', '   ']) {
      const env: Record<string, string | undefined> = { ...ENV, APP_DEVELOPER_NAME: name };
      assert.throws(
        () => buildManifest(template, env),
        (err: unknown) => {
          assert.ok(err instanceof ManifestConfigError);
          assert.deepEqual(err.problems.length, 1, err.message);
          assert.match(err.message, /APP_DEVELOPER_NAME is missing: set it to the publisher's name/);
          assert.match(err.message, /1 to 32 characters/);
          return true;
        },
      );
    }
  });

  it('refuses a publisher name longer than the 32 characters Teams allows, or with a line break', () => {
    const name32 = 'Stichting Onderwijs Regio Zuid 3';
    assert.equal(name32.length, 32);
    assert.equal(buildManifest(template, { ...ENV, APP_DEVELOPER_NAME: name32 }).developer.name, name32);
    assert.equal(
      buildManifest(template, { ...ENV, APP_DEVELOPER_NAME: 'Ö'.repeat(32) }).developer.name,
      'Ö'.repeat(32),
    );
    assert.throws(
      () => buildManifest(template, { ...ENV, APP_DEVELOPER_NAME: `${name32}4` }),
      /APP_DEVELOPER_NAME is 33 characters long; Teams allows at most 32/,
    );
    assert.throws(
      () => buildManifest(template, { ...ENV, APP_DEVELOPER_NAME: 'School\nICT' }),
      /APP_DEVELOPER_NAME contains a line break/,
    );
  });

  it('refuses a URL that is not https, naming each such setting', () => {
    assert.throws(
      () =>
        buildManifest(template, {
          ...ENV,
          APP_DEVELOPER_WEBSITE_URL: 'www.schoolbestuur.example',
          APP_PRIVACY_URL: 'http://www.schoolbestuur.example/privacy',
          APP_TERMS_URL: 'ftp://www.schoolbestuur.example/terms',
        }),
      (err: unknown) => {
        assert.ok(err instanceof ManifestConfigError);
        assert.equal(err.problems.length, 3, err.message);
        assert.match(err.message, /APP_DEVELOPER_WEBSITE_URL must be an https:\/\/ URL/);
        assert.match(err.message, /APP_PRIVACY_URL must be an https:\/\/ URL/);
        assert.match(err.message, /APP_TERMS_URL must be an https:\/\/ URL/);
        assert.match(err.message, /or leave it empty for https:\/\/<BOT_DOMAIN>\/privacy/);
        return true;
      },
    );
    for (const bad of [
      'https://',
      'https://localhost/terms',
      'https://user:pw@example.nl/',
      'https://a b.nl/',
    ]) {
      assert.throws(() => buildManifest(template, { ...ENV, APP_TERMS_URL: bad }), /APP_TERMS_URL/, bad);
    }
    assert.throws(
      () => buildManifest(template, { ...ENV, APP_PRIVACY_URL: `https://example.nl/${'p'.repeat(2048)}` }),
      /APP_PRIVACY_URL is longer than 2048 characters/,
    );
  });

  it('reports a wrong BOT_DOMAIN once, not again for the URLs that default to it', () => {
    assert.throws(
      () => buildManifest(template, { ...ENV, BOT_DOMAIN: 'localhost' }),
      (err: unknown) => {
        assert.ok(err instanceof ManifestConfigError);
        assert.equal(err.problems.length, 1, err.message);
        assert.match(err.message, /BOT_DOMAIN is not a valid host name/);
        return true;
      },
    );
  });

  it('names a missing MicrosoftAppId, and only that, in the error', () => {
    const env: Record<string, string> = { ...ENV };
    delete env.MicrosoftAppId;
    assert.throws(
      () => buildManifest(template, env),
      (err: unknown) => {
        assert.ok(err instanceof ManifestConfigError);
        assert.equal(err.problems.length, 1);
        assert.match(err.message, /MicrosoftAppId is missing/);
        assert.doesNotMatch(err.message, /TEAMS_APP_ID|BOT_DOMAIN/);
        return true;
      },
    );
  });

  it('names every invalid setting: a non-GUID id and a domain with a scheme', () => {
    assert.throws(
      () => buildManifest(template, { ...ENV, TEAMS_APP_ID: 'my-app', BOT_DOMAIN: 'https://hwc.example.nl' }),
      (err: unknown) => {
        assert.ok(err instanceof ManifestConfigError);
        assert.match(err.message, /TEAMS_APP_ID is not a GUID/);
        assert.match(err.message, /BOT_DOMAIN must be a host name without scheme/);
        assert.doesNotMatch(err.message, /MicrosoftAppId/);
        return true;
      },
    );
    assert.throws(() => buildManifest(template, { ...ENV, BOT_DOMAIN: 'hwc.example.nl/api' }), /BOT_DOMAIN/);
    assert.throws(() => buildManifest(template, { ...ENV, BOT_DOMAIN: 'localhost' }), /BOT_DOMAIN/);
  });

  it('refuses a template placeholder that no setting fills', () => {
    assert.throws(
      () => buildManifest('{"id": "${{TEAMS_APP_ID}}", "x": "${{OTHER}}"}', ENV),
      /\$\{\{OTHER\}\}/,
    );
  });

  it('reads a .env file, with the real environment taking precedence', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwc-env-'));
    try {
      const file = path.join(dir, '.env');
      writeFileSync(
        file,
        `# comment\nBOT_DOMAIN=from-file.example.nl\nMicrosoftAppId="${ENV.MicrosoftAppId}"\n`,
      );
      const env = readEnv(file, { BOT_DOMAIN: 'from-env.example.nl' });
      assert.equal(env.BOT_DOMAIN, 'from-env.example.nl');
      assert.equal(env.MicrosoftAppId, ENV.MicrosoftAppId);
      assert.deepEqual(readEnv(path.join(dir, 'missing.env'), { A: 'b' }), { A: 'b' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('has a 192x192 colour icon and a 32x32 outline icon', () => {
    const { icons } = referencedFiles(filled());
    assert.deepEqual(icons, ['color.png', 'outline.png']);
    assert.deepEqual(pngSize(readFileSync(path.join(manifestDir, 'color.png'))), { width: 192, height: 192 });
    assert.deepEqual(pngSize(readFileSync(path.join(manifestDir, 'outline.png'))), { width: 32, height: 32 });
  });

  it('has an outline icon that is white on transparent only', () => {
    const { width, height, rgba } = decodePng(readFileSync(path.join(manifestDir, 'outline.png')));
    let drawn = 0;
    for (let i = 0; i < width * height * 4; i += 4) {
      const [r, g, b, a] = rgba.subarray(i, i + 4);
      if (a === 0) continue;
      drawn++;
      assert.deepEqual([r, g, b], [255, 255, 255], `pixel ${i / 4} is not white`);
    }
    assert.ok(drawn > width * height * 0.2, 'the outline icon is (nearly) empty');
  });

  it('has a colour icon in the accent colour', () => {
    const { width, rgba } = decodePng(readFileSync(path.join(manifestDir, 'color.png')));
    const accent = (filled().accentColor as string).toLowerCase();
    const at = (x: number, y: number): string =>
      `#${[...rgba.subarray((y * width + x) * 4, (y * width + x) * 4 + 3)].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
    assert.equal(at(20, 96), accent); // background, left of the heart
    assert.equal(at(96, 96), '#ffffff'); // the heart
    assert.equal(rgba[(96 * width + 20) * 4 + 3], 255);
  });

  it('has Dutch and English localization files covering every localizable string it uses', async () => {
    const manifest = filled();
    const locSchema = loadBundledSchema(localizationSchemaUrl(manifest.manifestVersion)) as {
      properties: Record<string, unknown>;
      patternProperties: Record<string, unknown>;
    };
    const fixedKeys = Object.keys(locSchema.properties).filter(
      (k) => k !== '$schema' && k !== 'localizationKeys',
    );
    const patterns = Object.keys(locSchema.patternProperties).map((p) => new RegExp(p));
    const strings = flatten(manifest);
    const localizable = [...strings.keys()].filter(
      (k) => typeof strings.get(k) === 'string' && (fixedKeys.includes(k) || patterns.some((p) => p.test(k))),
    );
    assert.ok(localizable.includes('bots[0].commandLists[0].commands[0].title'), localizable.join(', '));
    assert.ok(localizable.includes('description.full'), localizable.join(', '));

    const info = manifest.localizationInfo as {
      defaultLanguageTag: string;
      defaultLanguageFile: string;
      additionalLanguages: { languageTag: string; file: string }[];
    };
    assert.equal(info.defaultLanguageTag, 'nl');
    assert.equal(info.defaultLanguageFile, 'nl.json');
    assert.deepEqual(info.additionalLanguages, [{ languageTag: 'en', file: 'en.json' }]);

    const nl = readJson('nl.json');
    const en = readJson('en.json');
    for (const [name, loc] of [
      ['nl.json', nl],
      ['en.json', en],
    ] as const) {
      assert.deepEqual(await validateOffline(loc, localizationSchemaUrl(manifest.manifestVersion)), [], name);
      for (const key of localizable)
        assert.ok(typeof loc[key] === 'string' && loc[key] !== '', `${name} lacks ${key}`);
      const extra = Object.keys(loc).filter((k) => k !== '$schema' && !localizable.includes(k));
      assert.deepEqual(extra, [], `${name} has keys the manifest does not use`);
    }
    // nl.json is the default language file: it must say what the manifest itself says.
    for (const key of localizable)
      assert.equal(nl[key], strings.get(key), `nl.json differs from manifest.json at ${key}`);
    assert.equal(nl['bots[0].commandLists[0].commands[0].title'], 'nieuw signaal');
    assert.equal(en['bots[0].commandLists[0].commands[0].title'], 'new signal');
    assert.equal(en['bots[0].commandLists[0].commands[1].title'], 'help');
  });

  it('packages manifest.json, the localization files and the icons at the zip root', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwc-package-'));
    try {
      const outFile = path.join(dir, 'build', 'handle-with-care.zip');
      await packageApp({ env: ENV, manifestDir, outFile });
      const entries = unzipSync(readFileSync(outFile));
      assert.deepEqual(Object.keys(entries).sort(), [
        'color.png',
        'en.json',
        'manifest.json',
        'nl.json',
        'outline.png',
      ]);
      const zipped = JSON.parse(
        Buffer.from(entries['manifest.json'] as Uint8Array).toString('utf8'),
      ) as Record<string, unknown>;
      assert.deepEqual(zipped, filled());
      assert.deepEqual(
        Buffer.from(entries['outline.png'] as Uint8Array),
        readFileSync(path.join(manifestDir, 'outline.png')),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not write a package when a setting is missing', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'hwc-package-'));
    try {
      const outFile = path.join(dir, 'app.zip');
      await assert.rejects(
        packageApp({ env: { ...ENV, MicrosoftAppId: '' }, manifestDir, outFile }),
        /MicrosoftAppId is missing/,
      );
      await assert.rejects(
        packageApp({ env: { ...ENV, APP_DEVELOPER_NAME: '' }, manifestDir, outFile }),
        /APP_DEVELOPER_NAME is missing/,
      );
      assert.throws(() => readFileSync(outFile), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
