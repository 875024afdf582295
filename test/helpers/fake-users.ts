import type { Role, User, UserDirectory, VerifiedUser } from '../../src/web/types.js';

/** Accounts in memory, plain passwords: for the web server's tests, which are not about hashing. */
export class FakeUsers implements UserDirectory {
  constructor(private readonly accounts: Record<string, { password: string; role: Role }>) {}

  async verify(username: string, password: string): Promise<VerifiedUser | null> {
    const a = this.accounts[username];
    return a && a.password === password ? { username, role: a.role, accountVersion: 'v1' } : null;
  }

  get(username: string): User | undefined {
    const a = this.accounts[username];
    return a && { username, role: a.role };
  }

  count(): number {
    return Object.keys(this.accounts).length;
  }

  accountVersion(username: string): string | undefined {
    return this.accounts[username] && 'v1';
  }
}
