import { describe, expect, it } from 'vitest';
import { stripMentions, verifySlackSignature } from '../../server/slack.js';
import { readSlackFixture } from '../fixtures/slack-api.js';

interface SigningExample {
  signing_secret: string;
  headers: { 'X-Slack-Request-Timestamp': string; 'X-Slack-Signature': string };
  raw_body: string;
  expected_signature: string;
}

describe('Slack request signature', () => {
  const ex = readSlackFixture<SigningExample>('slack__signing-example__python-slack-sdk.json').json;
  const ts = Number(ex.headers['X-Slack-Request-Timestamp']);
  const base = { signingSecret: ex.signing_secret, timestamp: String(ts), signature: ex.headers['X-Slack-Signature'], rawBody: ex.raw_body, nowSeconds: ts + 10 };

  it("accepts Slack's documented example", () => {
    expect(ex.headers['X-Slack-Signature']).toBe(ex.expected_signature);
    expect(verifySlackSignature(base)).toEqual({ ok: true });
  });

  it('rejects a tampered body, a wrong secret and a malformed signature', () => {
    expect(verifySlackSignature({ ...base, rawBody: `${ex.raw_body}&x=1` })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifySlackSignature({ ...base, signingSecret: 'another-secret' })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifySlackSignature({ ...base, signature: 'v0=abc' })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects stale or future timestamps beyond five minutes, and missing headers', () => {
    expect(verifySlackSignature({ ...base, nowSeconds: ts + 301 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifySlackSignature({ ...base, nowSeconds: ts - 301 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifySlackSignature({ ...base, nowSeconds: ts + 300 })).toEqual({ ok: true });
    expect(verifySlackSignature({ ...base, timestamp: undefined })).toEqual({ ok: false, reason: 'missing_headers' });
    expect(verifySlackSignature({ ...base, signature: undefined })).toEqual({ ok: false, reason: 'missing_headers' });
  });

  it('strips mentions from the question', () => {
    expect(stripMentions('<@U111> type 2 diabetes?')).toBe('type 2 diabetes?');
    expect(stripMentions('<@U111|kedrec>')).toBe('');
    expect(stripMentions('<@U111|kedrec bot> hi <@U222>')).toBe('hi');
  });

  it('strips mentions with a bounded pattern: an over-long "mention" is left as text, not scanned to the end', () => {
    const long = `<@U1|${'x'.repeat(101)}> q`;
    expect(stripMentions(long)).toBe(long);
    expect(stripMentions(`<@${'U'.repeat(33)}> q`)).toBe(`<@${'U'.repeat(33)}> q`);
  });
});
