import { describe, expect, it } from 'vitest';
import { evaluate, networkFilter, SECCOMP_TEST as C } from './seccomp.js';

describe('the network seccomp filter', () => {
  for (const arch of ['x64', 'arm64'] as const) {
    const f = networkFilter(arch);
    const call = (nr: number, arg0 = 0, a = C.AUDIT_ARCH[arch]) => evaluate(f, { arch: a, nr, arg0 });
    it(`${arch}: refuses IPv4 and IPv6 sockets with EACCES, and io_uring`, () => {
      expect(call(C.SYSCALLS[arch].socket, C.AF_INET)).toEqual({ action: 'errno', errno: C.EACCES });
      expect(call(C.SYSCALLS[arch].socket, C.AF_INET6)).toEqual({ action: 'errno', errno: C.EACCES });
      expect(call(C.SYSCALLS[arch].io_uring_setup)).toEqual({ action: 'errno', errno: C.ENOSYS });
    });
    it(`${arch}: allows Unix sockets (the kernel's own ZeroMQ sockets) and every other call`, () => {
      expect(call(C.SYSCALLS[arch].socket, 1)).toEqual({ action: 'allow' });
      for (const nr of [0, 1, 2, 57, 59, 231]) expect(call(nr)).toEqual({ action: 'allow' });
    });
    it(`${arch}: kills a process calling in through another architecture`, () => {
      expect(call(C.SYSCALLS[arch].socket, C.AF_INET, 0x40000003)).toEqual({ action: 'kill' });
    });
  }
  it('x64: refuses x32 system calls, which would reach socket(2) under another number', () => {
    expect(evaluate(networkFilter('x64'), { arch: C.AUDIT_ARCH.x64, nr: C.X32_SYSCALL_BIT + 41, arg0: C.AF_INET })).toEqual({ action: 'errno', errno: C.ENOSYS });
  });
});
