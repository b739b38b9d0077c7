/**
 * A seccomp filter (classic BPF, as bubblewrap's `--seccomp FD` loads it) that refuses network
 * sockets. The sandbox's own network namespace already leaves nothing to reach; the filter makes
 * the refusal immediate and complete: `fetch`, `net.connect` and `listen` fail with EACCES, even on
 * the namespace's own loopback. io_uring is refused too (it can open sockets without socket(2));
 * libuv falls back to its thread pool.
 */

const AUDIT_ARCH = { x64: 0xc000003e, arm64: 0xc00000b7 } as const;
/** socket(2) and io_uring_setup(2) by architecture. */
const SYSCALLS = { x64: { socket: 41, io_uring_setup: 425 }, arm64: { socket: 198, io_uring_setup: 425 } } as const;
/** x32 system calls share x86_64's audit arch; their numbers have this bit set. */
const X32_SYSCALL_BIT = 0x40000000;

const AF_INET = 2;
const AF_INET6 = 10;
const EACCES = 13;
const ENOSYS = 38;

const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const RET_KILL_PROCESS = 0x80000000;

// BPF opcodes (linux/filter.h).
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;

/** Offsets into struct seccomp_data: nr, arch, then args[0] (its low 32 bits, little-endian). */
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0 = 16;

export type SeccompArch = keyof typeof AUDIT_ARCH;

/** The architecture of this process, if the filter supports it. */
export function currentArch(): SeccompArch | undefined {
  return process.arch === 'x64' || process.arch === 'arm64' ? process.arch : undefined;
}

/** The filter as the kernel reads it: 8 bytes per instruction (u16 code, u8 jt, u8 jf, u32 k). */
export function networkFilter(arch: SeccompArch): Buffer {
  const nr = SYSCALLS[arch];
  // Jumps name their targets; `assemble` turns them into the relative offsets BPF wants.
  const program: Array<{ label?: string; code: number; k: number; jt?: string; jf?: string }> = [
    { code: LD_W_ABS, k: OFF_ARCH },
    { code: JEQ_K, k: AUDIT_ARCH[arch], jf: 'kill' },
    { code: LD_W_ABS, k: OFF_NR },
    // x32 system calls (x86_64 only) would reach socket(2) under another number.
    { code: JGE_K, k: arch === 'x64' ? X32_SYSCALL_BIT : 0xffffffff, jt: 'enosys' },
    { code: JEQ_K, k: nr.io_uring_setup, jt: 'enosys' },
    { code: JEQ_K, k: nr.socket, jf: 'allow' },
    { code: LD_W_ABS, k: OFF_ARG0 },
    { code: JEQ_K, k: AF_INET, jt: 'eacces' },
    { code: JEQ_K, k: AF_INET6, jt: 'eacces' },
    { label: 'allow', code: RET_K, k: RET_ALLOW },
    { label: 'enosys', code: RET_K, k: RET_ERRNO | ENOSYS },
    { label: 'eacces', code: RET_K, k: RET_ERRNO | EACCES },
    { label: 'kill', code: RET_K, k: RET_KILL_PROCESS },
  ];
  const at = new Map(program.flatMap((insn, i) => (insn.label ? [[insn.label, i] as const] : [])));
  const offset = (from: number, label: string | undefined) => (label === undefined ? 0 : at.get(label)! - from - 1);
  const buf = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    buf.writeUInt16LE(insn.code, i * 8);
    buf.writeUInt8(offset(i, insn.jt), i * 8 + 2);
    buf.writeUInt8(offset(i, insn.jf), i * 8 + 3);
    buf.writeUInt32LE(insn.k >>> 0, i * 8 + 4);
  });
  return buf;
}

/** Runs the filter on one system call, as the kernel would (for tests). */
export function evaluate(filter: Buffer, data: { arch: number; nr: number; arg0?: number }): { action: 'allow' | 'kill' | 'errno'; errno?: number } {
  let acc = 0;
  let pc = 0;
  const load = (off: number) => (off === OFF_ARCH ? data.arch : off === OFF_NR ? data.nr : off === OFF_ARG0 ? (data.arg0 ?? 0) : 0);
  for (let steps = 0; steps < 1000; steps++) {
    const code = filter.readUInt16LE(pc * 8);
    const jt = filter.readUInt8(pc * 8 + 2);
    const jf = filter.readUInt8(pc * 8 + 3);
    const k = filter.readUInt32LE(pc * 8 + 4);
    if (code === LD_W_ABS) {
      acc = load(k);
      pc++;
    } else if (code === JEQ_K || code === JGE_K) {
      const hit = code === JEQ_K ? acc >>> 0 === k : acc >>> 0 >= k;
      pc += 1 + (hit ? jt : jf);
    } else if (code === RET_K) {
      if (k === RET_ALLOW) return { action: 'allow' };
      if ((k & 0xffff0000) === RET_ERRNO) return { action: 'errno', errno: k & 0xffff };
      return { action: 'kill' };
    } else {
      throw new Error(`unknown BPF opcode ${code}`);
    }
  }
  throw new Error('the filter does not terminate');
}

export const SECCOMP_TEST = { AUDIT_ARCH, SYSCALLS, AF_INET, AF_INET6, EACCES, ENOSYS, X32_SYSCALL_BIT };
