import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { Type } from '@sinclair/typebox';
import { CreateUserRequest, UpdateUserRequest, type SessionUser, type UserRecord } from '@citywatch/protocol';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { ClientAddress, CurrentUser, Roles } from './auth.decorators';
import { UsersService } from './users.service';

const UserId = new TypeBoxPipe(Type.String({ pattern: '^[0-9a-f-]{36}$' }));

/** Accounts, for administrators. */
@Controller('api/users')
@Roles('admin')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  list(): Promise<UserRecord[]> {
    return this.users.list();
  }

  @Get(':id')
  get(@Param('id', UserId) id: string): Promise<UserRecord> {
    return this.users.get(id);
  }

  @Post()
  create(
    @Body(new TypeBoxPipe(CreateUserRequest)) body: CreateUserRequest,
    @CurrentUser() actor: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<UserRecord> {
    return this.users.create(body, actor, ip);
  }

  @Patch(':id')
  update(
    @Param('id', UserId) id: string,
    @Body(new TypeBoxPipe(UpdateUserRequest)) body: UpdateUserRequest,
    @CurrentUser() actor: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<UserRecord> {
    return this.users.update(id, body, actor, ip);
  }

  @Delete(':id')
  @HttpCode(204)
  remove(
    @Param('id', UserId) id: string,
    @CurrentUser() actor: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<void> {
    return this.users.remove(id, actor, ip);
  }
}
