import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import type { CreateUserRequest, SessionUser, UpdateUserRequest, UserRecord } from '@citywatch/protocol';
import { AUDIT_LOG, type AuditLog } from '../common/audit-log';
import { AuthRepository, type StoredUser } from './auth.repository';
import { AuthService } from './auth.service';
import { newId } from './ids';
import { hashPassword } from './secret-hashing';

function publicRecord(user: StoredUser): UserRecord {
  const { passwordHash: _hidden, ...record } = user;
  return record;
}

/** Accounts, administered by admins. Every change is audited; changes that matter end the user's sessions. */
@Injectable()
export class UsersService {
  constructor(
    private readonly repository: AuthRepository,
    private readonly auth: AuthService,
    @Inject(AUDIT_LOG) private readonly audit: AuditLog,
  ) {}

  async list(): Promise<UserRecord[]> {
    return (await this.repository.listUsers()).map(publicRecord);
  }

  async get(id: string): Promise<UserRecord> {
    const user = await this.repository.findUser(id);
    if (!user) throw new NotFoundException(`user ${id} does not exist`);
    return publicRecord(user);
  }

  async create(body: CreateUserRequest, actor: SessionUser, ip: string): Promise<UserRecord> {
    const departmentId = body.departmentId ?? null;
    checkDepartment(body.role, departmentId);
    const created = await this.repository.insertUser({
      id: newId(),
      username: body.username,
      displayName: body.displayName,
      role: body.role,
      departmentId,
      passwordHash: await hashPassword(body.password),
    });
    if (!created) throw new ConflictException(`the user name ${body.username} is taken`);
    await this.audit.record({
      actor,
      action: 'users.create',
      target: `user:${created.id}`,
      details: { username: created.username, role: created.role, departmentId },
      ip,
    });
    return publicRecord(created);
  }

  async update(id: string, body: UpdateUserRequest, actor: SessionUser, ip: string): Promise<UserRecord> {
    const before = await this.repository.findUser(id);
    if (!before) throw new NotFoundException(`user ${id} does not exist`);
    const role = body.role ?? before.role;
    const departmentId = body.departmentId !== undefined ? body.departmentId : before.departmentId;
    checkDepartment(role, departmentId);
    const losesAdmin = before.role === 'admin' && !before.disabled && (role !== 'admin' || body.disabled === true);
    if (losesAdmin && (await this.repository.countActiveAdmins()) <= 1) {
      throw new ConflictException('this is the last active administrator');
    }
    const updated = await this.repository.updateUser(id, {
      displayName: body.displayName,
      role: body.role,
      departmentId: body.departmentId,
      disabled: body.disabled,
      passwordHash: body.password ? await hashPassword(body.password) : undefined,
    });
    if (!updated) throw new NotFoundException(`user ${id} does not exist`);
    const { password: changedPassword, ...visible } = body;
    await this.audit.record({
      actor,
      action: 'users.update',
      target: `user:${id}`,
      details: { username: updated.username, ...visible, passwordChanged: changedPassword !== undefined },
      ip,
    });
    const endsSessions =
      changedPassword !== undefined ||
      body.disabled === true ||
      (body.role !== undefined && body.role !== before.role) ||
      departmentId !== before.departmentId;
    if (endsSessions) await this.auth.revokeUserSessions(id, 'account changed');
    return publicRecord(updated);
  }

  async remove(id: string, actor: SessionUser, ip: string): Promise<void> {
    const user = await this.repository.findUser(id);
    if (!user) throw new NotFoundException(`user ${id} does not exist`);
    if (id === actor.id) throw new ConflictException('you cannot delete your own account');
    if (user.role === 'admin' && !user.disabled && (await this.repository.countActiveAdmins()) <= 1) {
      throw new ConflictException('this is the last active administrator');
    }
    await this.auth.revokeUserSessions(id, 'account deleted');
    await this.repository.deleteUser(id);
    await this.audit.record({
      actor,
      action: 'users.delete',
      target: `user:${id}`,
      details: { username: user.username, role: user.role },
      ip,
    });
  }

  async changeOwnPassword(user: SessionUser, current: string, next: string, ip: string): Promise<void> {
    if (!(await this.auth.verifyOwnPassword(user.id, current))) {
      await this.audit.record({
        actor: user,
        action: 'auth.change_password',
        target: `user:${user.id}`,
        details: {},
        ip,
        outcome: 'failure',
      });
      throw new BadRequestException('the current password is wrong');
    }
    await this.repository.updateUser(user.id, { passwordHash: await hashPassword(next) });
    await this.audit.record({
      actor: user,
      action: 'auth.change_password',
      target: `user:${user.id}`,
      details: {},
      ip,
    });
    await this.auth.revokeUserSessions(user.id, 'password changed');
  }
}

function checkDepartment(role: string, departmentId: string | null): void {
  if (role === 'department_member' && !departmentId) {
    throw new BadRequestException('a department member needs a departmentId');
  }
}
