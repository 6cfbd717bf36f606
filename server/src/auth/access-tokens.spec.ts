import { describe, expect, it } from 'vitest';
import { AccessTokens, InvalidTokenError } from './access-tokens';

const claims = {
  userId: 'u-1',
  sessionId: 's-1',
  username: 'op',
  role: 'operator' as const,
  departmentId: null,
};

describe('AccessTokens', () => {
  const tokens = new AccessTokens('k'.repeat(48), 900);

  it('round-trips the claims and expires after its lifetime', async () => {
    const now = new Date('2026-11-27T08:00:00Z');
    const issued = await tokens.issue(claims, now);
    expect(issued.expiresAt.toISOString()).toBe('2026-11-27T08:15:00.000Z');
    expect(await tokens.verify(issued.token, new Date('2026-11-27T08:14:00Z'))).toEqual(claims);
    const late = await tokens.verify(issued.token, new Date('2026-11-27T08:16:00Z')).catch((e: unknown) => e);
    expect(late).toBeInstanceOf(InvalidTokenError);
    expect((late as InvalidTokenError).expired).toBe(true);
  });

  it('refuses tokens signed with another key, tampered or unsigned', async () => {
    const other = await new AccessTokens('o'.repeat(48), 900).issue(claims);
    await expect(tokens.verify(other.token)).rejects.toThrow(InvalidTokenError);
    const good = (await tokens.issue(claims)).token;
    const [header, payload, signature] = good.split('.') as [string, string, string];
    const forged = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    forged.role = 'admin';
    await expect(
      tokens.verify(`${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`),
    ).rejects.toThrow(InvalidTokenError);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    await expect(tokens.verify(`${none}.${payload}.`)).rejects.toThrow(InvalidTokenError);
  });
});
