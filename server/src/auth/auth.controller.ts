import { Body, Controller, Get, Headers, HttpCode, Post, Req } from '@nestjs/common';
import {
  ChangePasswordRequest,
  RefreshRequest,
  SignInRequest,
  SignOutRequest,
  ROLES,
  type SessionUser,
  type TokenPair,
} from '@citywatch/protocol';
import { TypeBoxPipe } from '../common/typebox-validation.pipe';
import { ClientAddress, CurrentUser, Public, Roles } from './auth.decorators';
import type { AuthenticatedRequest } from './auth.guard';
import { AuthService } from './auth.service';
import { SignInRateLimit } from './rate-limits';
import { UsersService } from './users.service';

/** Sign-in, token refresh, sign-out, who am I, change my password. */
@Controller('api/auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('sign-in')
  @HttpCode(200)
  @Public()
  @SignInRateLimit()
  signIn(
    @Body(new TypeBoxPipe(SignInRequest)) body: SignInRequest,
    @ClientAddress() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
  ): Promise<TokenPair> {
    return this.auth.signIn(body.username, body.password, { ip, userAgent });
  }

  @Post('refresh')
  @HttpCode(200)
  @Public()
  @SignInRateLimit()
  refresh(
    @Body(new TypeBoxPipe(RefreshRequest)) body: RefreshRequest,
    @ClientAddress() ip: string,
    @Headers('user-agent') userAgent: string | undefined,
  ): Promise<TokenPair> {
    return this.auth.refresh(body.refreshToken, { ip, userAgent });
  }

  @Post('sign-out')
  @HttpCode(204)
  @Roles(...ROLES)
  signOut(
    @Body(new TypeBoxPipe(SignOutRequest)) body: SignOutRequest,
    @Req() request: AuthenticatedRequest,
    @ClientAddress() ip: string,
  ): Promise<void> {
    return this.auth.signOut({ user: request.user!, sessionId: request.sessionId! }, body.refreshToken, { ip });
  }

  @Get('me')
  @Roles(...ROLES)
  me(@CurrentUser() user: SessionUser): SessionUser {
    return user;
  }

  @Post('password')
  @HttpCode(204)
  @Roles(...ROLES)
  @SignInRateLimit()
  changePassword(
    @Body(new TypeBoxPipe(ChangePasswordRequest)) body: ChangePasswordRequest,
    @CurrentUser() user: SessionUser,
    @ClientAddress() ip: string,
  ): Promise<void> {
    return this.users.changeOwnPassword(user, body.currentPassword, body.newPassword, ip);
  }
}
