/*
 * flight-inject: make a running CPython process (3.9-3.13, Linux x86_64) start the flight agent.
 *
 *   flight-inject PID BOOT_SO CODE_FILE
 *
 * No gdb. With ptrace we borrow one thread of the target for three function calls:
 *   handle = dlopen(BOOT_SO, RTLD_NOW); fn = dlsym(handle, "flight_boot"); fn(code)
 * flight_boot (boot.c) copies the code and returns at once; its own new thread takes the GIL the
 * normal way (PyGILState_Ensure) and runs the code. So no Python runs on the borrowed thread and
 * nothing runs at an arbitrary point of the interpreter.
 *
 * Safety rules, and why:
 * - We only borrow a thread that is stopped in Python/extension code or blocked in a system call.
 *   A thread stopped inside libc or the dynamic loader may hold the malloc or loader lock that
 *   dlopen needs, which would deadlock the process; such threads are released and we try again.
 * - The call trampoline ("call *%rax; int3", 3 bytes) is written over the ELF entry point
 *   (_start), which no thread ever executes again, and restored afterwards.
 * - All registers, including the FPU/SSE/AVX state, are saved and restored exactly; orig_rax is
 *   set to -1 during the calls so that an interrupted system call is restarted only when the
 *   original registers are back.
 * - Other threads keep running; only the borrowed one is stopped, for a few milliseconds.
 *
 * Exit status: 0 ok; 2 usage; 3 no such process; 4 permission denied; 5 no libc / symbols;
 * 6 no safe moment found; 7 call failed in the target; 8 target died; 9 boot refused
 * (message on stderr, one line, prefixed "flight-inject: "). When the boot thread of an earlier
 * attach is still waiting for the GIL, no other is started: it runs this attach's code, and the
 * status is 0 with "flight-inject: reused the waiting boot thread" on stdout.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define EXIT_NO_PROCESS 3
#define EXIT_PERMISSION 4
#define EXIT_SYMBOLS 5
#define EXIT_NO_SAFE_POINT 6
#define EXIT_CALL_FAILED 7
#define EXIT_TARGET_DIED 8
#define EXIT_BOOT_REFUSED 9

#define MAX_MAPS 8192
#define XSTATE_SIZE 16384
#define CALL_TIMEOUT_MS 5000
#define SAFE_POINT_TIMEOUT_MS 3000

static const unsigned char TRAMPOLINE[3] = {0xff, 0xd0, 0xcc}; /* call *%rax; int3 */

struct mapping {
    unsigned long start, end, offset;
    char path[PATH_MAX];
};

static struct mapping maps[MAX_MAPS];
static int nmaps;
static pid_t target_pid;
static int mem_fd = -1;

static void die(int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("flight-inject: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(code);
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void read_maps(pid_t pid) {
    char file[64];
    snprintf(file, sizeof file, "/proc/%d/maps", pid);
    FILE *f = fopen(file, "r");
    if (!f) {
        if (errno == ENOENT) die(EXIT_NO_PROCESS, "no process with pid %d", pid);
        die(EXIT_PERMISSION, "cannot read %s: %s", file, strerror(errno));
    }
    char line[PATH_MAX + 128];
    nmaps = 0;
    while (nmaps < MAX_MAPS && fgets(line, sizeof line, f)) {
        struct mapping *m = &maps[nmaps];
        char perms[8];
        int consumed = 0;
        m->path[0] = 0;
        if (sscanf(line, "%lx-%lx %7s %lx %*s %*s %n", &m->start, &m->end, perms, &m->offset, &consumed) < 4)
            continue;
        char *p = line + consumed;
        p[strcspn(p, "\n")] = 0;
        snprintf(m->path, sizeof m->path, "%s", p);
        nmaps++;
    }
    fclose(f);
}

static const struct mapping *mapping_of(unsigned long addr) {
    for (int i = 0; i < nmaps; i++)
        if (addr >= maps[i].start && addr < maps[i].end) return &maps[i];
    return NULL;
}

static unsigned long base_of(const char *real_path) {
    for (int i = 0; i < nmaps; i++)
        if (maps[i].offset == 0 && strcmp(maps[i].path, real_path) == 0) return maps[i].start;
    return 0;
}

/* Code in these libraries may hold the malloc or loader locks that dlopen takes. */
static int is_lock_holding_library(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    return strncmp(base, "libc.so", 7) == 0 || strncmp(base, "libc-", 5) == 0 ||
           strncmp(base, "ld-linux", 8) == 0 || strncmp(base, "libpthread", 10) == 0 ||
           strncmp(base, "libdl", 5) == 0;
}

static unsigned long entry_point(pid_t pid) {
    char file[64];
    snprintf(file, sizeof file, "/proc/%d/auxv", pid);
    int fd = open(file, O_RDONLY);
    if (fd < 0) die(EXIT_PERMISSION, "cannot read %s: %s", file, strerror(errno));
    Elf64_auxv_t aux;
    unsigned long entry = 0;
    while (read(fd, &aux, sizeof aux) == sizeof aux) {
        if (aux.a_type == AT_ENTRY) {
            entry = aux.a_un.a_val;
            break;
        }
    }
    close(fd);
    if (!entry) die(EXIT_SYMBOLS, "no entry point in %s", file);
    return entry;
}

/* Symbols of the target's libc: same file as ours, so our offsets rebased onto its base. */
struct libc_syms {
    unsigned long dlopen_fn, dlsym_fn, dlerror_fn, mmap_fn, munmap_fn;
    int private_api; /* glibc < 2.34: __libc_dlopen_mode / __libc_dlsym */
};

static unsigned long rebase(void *ours, unsigned long target_base) {
    Dl_info info;
    if (!ours || !dladdr(ours, &info)) return 0;
    return target_base + ((unsigned long)ours - (unsigned long)info.dli_fbase);
}

static struct libc_syms find_libc_syms(void) {
    struct libc_syms s = {0, 0, 0, 0, 0, 0};
    void *self_libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    if (!self_libc) die(EXIT_SYMBOLS, "cannot find libc.so.6 in the injector");
    void *our_dlopen = dlsym(self_libc, "dlopen");
    void *our_dlsym = dlsym(self_libc, "dlsym");
    void *our_dlerror = dlsym(self_libc, "dlerror");
    Dl_info info;
    if (!our_dlopen || !dladdr(our_dlopen, &info) || !strstr(info.dli_fname, "libc")) {
        /* glibc < 2.34 keeps dlopen in libdl, which the target may not have loaded. */
        our_dlopen = dlsym(self_libc, "__libc_dlopen_mode");
        our_dlsym = dlsym(self_libc, "__libc_dlsym");
        our_dlerror = NULL;
        s.private_api = 1;
        if (!our_dlopen || !our_dlsym || !dladdr(our_dlopen, &info))
            die(EXIT_SYMBOLS, "no dlopen in this libc");
    }
    char real[PATH_MAX];
    if (!realpath(info.dli_fname, real)) die(EXIT_SYMBOLS, "cannot resolve %s", info.dli_fname);
    unsigned long base = base_of(real);
    if (!base)
        die(EXIT_SYMBOLS,
            "the target does not use this machine's libc (%s); is it in another container or mount namespace?",
            real);
    s.dlopen_fn = rebase(our_dlopen, base);
    s.dlsym_fn = rebase(our_dlsym, base);
    s.dlerror_fn = our_dlerror ? rebase(our_dlerror, base) : 0;
    s.mmap_fn = rebase(dlsym(self_libc, "mmap"), base);
    s.munmap_fn = rebase(dlsym(self_libc, "munmap"), base);
    if (!s.mmap_fn || !s.munmap_fn) die(EXIT_SYMBOLS, "no mmap in this libc");
    return s;
}

static void mem_write(unsigned long addr, const void *buf, size_t len) {
    if (pwrite(mem_fd, buf, len, (off_t)addr) != (ssize_t)len)
        die(EXIT_CALL_FAILED, "cannot write target memory at %#lx: %s", addr, strerror(errno));
}

static void mem_read(unsigned long addr, void *buf, size_t len) {
    if (pread(mem_fd, buf, len, (off_t)addr) != (ssize_t)len)
        die(EXIT_CALL_FAILED, "cannot read target memory at %#lx: %s", addr, strerror(errno));
}

/* The thread we borrow, with everything needed to give it back untouched. */
struct borrowed {
    pid_t tid;
    struct user_regs_struct regs;
    unsigned char xstate[XSTATE_SIZE];
    struct iovec xstate_iov;
    int have_xstate;
    struct user_fpregs_struct fpregs;
    int pending_signal;
};

static struct borrowed thread;
static unsigned long trampoline_addr;
static unsigned char trampoline_saved[sizeof TRAMPOLINE];
static int trampoline_written;

/* Wait for a stop of tid; returns the raw status. Other signals are remembered for delivery later. */
static int wait_stop(pid_t tid, long deadline_ms, int want_trap) {
    for (;;) {
        int status;
        pid_t r = waitpid(tid, &status, __WALL | WNOHANG);
        if (r < 0) die(EXIT_TARGET_DIED, "waitpid(%d): %s", tid, strerror(errno));
        if (r == 0) {
            if (now_ms() > deadline_ms) return -1;
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) die(EXIT_TARGET_DIED, "the target exited during injection");
        if (!WIFSTOPPED(status)) continue;
        int sig = WSTOPSIG(status);
        int event = status >> 16;
        if (!want_trap) return status; /* first stop after PTRACE_INTERRUPT */
        if (sig == SIGTRAP && event == 0) return status;
        /* Something else (a signal for the target, a group stop): keep it for later. */
        if (event == 0 && sig != SIGTRAP && sig != SIGSTOP) thread.pending_signal = sig;
        ptrace(PTRACE_CONT, tid, 0, 0);
    }
}

static void release_thread(pid_t tid, int sig) { ptrace(PTRACE_DETACH, tid, 0, (void *)(long)sig); }

/* Stop one thread; keep it if it is at a safe moment. Returns 1 when borrowed. */
static int try_borrow(pid_t tid) {
    if (ptrace(PTRACE_SEIZE, tid, 0, 0) != 0) {
        if (errno == EPERM)
            die(EXIT_PERMISSION,
                "permission denied to ptrace pid %d: run as the target's user or root; check "
                "/proc/sys/kernel/yama/ptrace_scope (0 or 1 with the same user) and, in containers, "
                "CAP_SYS_PTRACE",
                target_pid);
        if (errno == ESRCH) return 0; /* thread ended */
        die(EXIT_PERMISSION, "ptrace(SEIZE, %d): %s", tid, strerror(errno));
    }
    int status;
    if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0 || (status = wait_stop(tid, now_ms() + 1000, 0)) < 0) {
        release_thread(tid, 0);
        return 0;
    }
    if ((status >> 16) != PTRACE_EVENT_STOP) {
        /* A signal arrived first: let the target have it and try another moment. */
        release_thread(tid, WSTOPSIG(status) == SIGTRAP ? 0 : WSTOPSIG(status));
        return 0;
    }
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, tid, 0, &regs) != 0) {
        release_thread(tid, 0);
        return 0;
    }
    int in_syscall = (long)regs.orig_rax >= 0;
    const struct mapping *m = mapping_of(regs.rip);
    int unsafe = !in_syscall && (!m || is_lock_holding_library(m->path));
    if (unsafe) {
        release_thread(tid, 0);
        return 0;
    }
    memset(&thread, 0, sizeof thread);
    thread.tid = tid;
    thread.regs = regs;
    thread.xstate_iov.iov_base = thread.xstate;
    thread.xstate_iov.iov_len = sizeof thread.xstate;
    thread.have_xstate = ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &thread.xstate_iov) == 0;
    if (!thread.have_xstate && ptrace(PTRACE_GETFPREGS, tid, 0, &thread.fpregs) != 0) {
        release_thread(tid, 0);
        return 0;
    }
    return 1;
}

static int list_threads(pid_t pid, pid_t *out, int max) {
    char dir[64];
    snprintf(dir, sizeof dir, "/proc/%d/task", pid);
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    out[n++] = pid; /* the main thread first: its stack is the largest */
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        pid_t tid = (pid_t)atoi(e->d_name);
        if (tid > 0 && tid != pid) out[n++] = tid;
    }
    closedir(d);
    return n;
}

static void borrow_a_thread(pid_t pid) {
    static pid_t tids[4096];
    long deadline = now_ms() + SAFE_POINT_TIMEOUT_MS;
    while (now_ms() < deadline) {
        int n = list_threads(pid, tids, 4096);
        if (n == 0) die(EXIT_NO_PROCESS, "no process with pid %d", pid);
        for (int i = 0; i < n; i++)
            if (try_borrow(tids[i])) return;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    die(EXIT_NO_SAFE_POINT, "no thread of pid %d reached a safe point within %d ms", pid, SAFE_POINT_TIMEOUT_MS);
}

static void give_back(void) {
    if (trampoline_written) {
        mem_write(trampoline_addr, trampoline_saved, sizeof trampoline_saved);
        trampoline_written = 0;
    }
    ptrace(PTRACE_SETREGS, thread.tid, 0, &thread.regs);
    if (thread.have_xstate)
        ptrace(PTRACE_SETREGSET, thread.tid, (void *)NT_X86_XSTATE, &thread.xstate_iov);
    else
        ptrace(PTRACE_SETFPREGS, thread.tid, 0, &thread.fpregs);
    release_thread(thread.tid, thread.pending_signal);
}

/* Call fn(a[0..5]) on the borrowed thread with the stack pointer sp; return its rax. */
static unsigned long remote_call6(unsigned long fn, const unsigned long a[6], unsigned long sp) {
    struct user_regs_struct regs = thread.regs;
    regs.rip = trampoline_addr;
    regs.rax = fn;
    regs.rdi = a[0];
    regs.rsi = a[1];
    regs.rdx = a[2];
    regs.rcx = a[3];
    regs.r8 = a[4];
    regs.r9 = a[5];
    regs.rsp = sp;
    regs.orig_rax = (unsigned long)-1; /* no syscall restart while we borrow the thread */
    regs.eflags &= ~0x400UL;           /* ABI: direction flag clear */
    if (ptrace(PTRACE_SETREGS, thread.tid, 0, &regs) != 0 || ptrace(PTRACE_CONT, thread.tid, 0, 0) != 0) {
        give_back();
        die(EXIT_CALL_FAILED, "cannot run code in pid %d: %s", target_pid, strerror(errno));
    }
    if (wait_stop(thread.tid, now_ms() + CALL_TIMEOUT_MS, 1) < 0) {
        /* The call did not come back; interrupt it and restore what we can. */
        ptrace(PTRACE_INTERRUPT, thread.tid, 0, 0);
        wait_stop(thread.tid, now_ms() + 1000, 0);
        give_back();
        die(EXIT_CALL_FAILED, "a call in pid %d did not return within %d ms", target_pid, CALL_TIMEOUT_MS);
    }
    struct user_regs_struct out;
    ptrace(PTRACE_GETREGS, thread.tid, 0, &out);
    return out.rax;
}

static unsigned long remote_call(unsigned long fn, unsigned long a1, unsigned long a2, unsigned long sp) {
    unsigned long a[6] = {a1, a2, 0, 0, 0, 0};
    return remote_call6(fn, a, sp);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) die(EXIT_USAGE, "cannot read %s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    if (len < 0 || len > (16L << 20)) die(EXIT_USAGE, "%s is too large", path);
    char *buf = calloc(1, (size_t)len + 1);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) die(EXIT_USAGE, "cannot read %s", path);
    fclose(f);
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: flight-inject PID BOOT_SO CODE_FILE\n");
        return EXIT_USAGE;
    }
    target_pid = (pid_t)atoi(argv[1]);
    char boot_so[PATH_MAX];
    if (target_pid <= 0) die(EXIT_USAGE, "bad pid %s", argv[1]);
    if (!realpath(argv[2], boot_so)) die(EXIT_USAGE, "cannot find %s", argv[2]);
    char *code = read_file(argv[3]);

    read_maps(target_pid);
    struct libc_syms libc = find_libc_syms();
    trampoline_addr = entry_point(target_pid);

    char mem_path[64];
    snprintf(mem_path, sizeof mem_path, "/proc/%d/mem", target_pid);

    borrow_a_thread(target_pid);
    mem_fd = open(mem_path, O_RDWR);
    if (mem_fd < 0) {
        give_back();
        die(EXIT_PERMISSION, "cannot open %s: %s", mem_path, strerror(errno));
    }

    /* Another injector in the middle of its work would have left our trampoline here. */
    mem_read(trampoline_addr, trampoline_saved, sizeof trampoline_saved);
    if (memcmp(trampoline_saved, TRAMPOLINE, sizeof TRAMPOLINE) == 0) {
        give_back();
        die(EXIT_CALL_FAILED, "another injection into pid %d is in progress", target_pid);
    }
    mem_write(trampoline_addr, TRAMPOLINE, sizeof TRAMPOLINE);
    trampoline_written = 1;

    /* Short strings go on the borrowed thread's stack, below its red zone; the code (it can be
     * tens of KB) goes to a private mapping made for it and unmapped once flight_boot copied it. */
    const char *boot_symbol = "flight_boot";
    size_t so_len = strlen(boot_so) + 1, sym_len = strlen(boot_symbol) + 1, code_len = strlen(code) + 1;
    unsigned long strings = (thread.regs.rsp - 512 - so_len - sym_len) & ~15UL;
    unsigned long so_addr = strings, sym_addr = so_addr + so_len;
    unsigned long call_sp = (strings - 256) & ~15UL;
    mem_write(so_addr, boot_so, so_len);
    mem_write(sym_addr, boot_symbol, sym_len);
    unsigned long map_args[6] = {0, code_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, (unsigned long)-1, 0};
    unsigned long code_addr = remote_call6(libc.mmap_fn, map_args, call_sp);
    if (code_addr == (unsigned long)MAP_FAILED || code_addr == 0) {
        give_back();
        die(EXIT_CALL_FAILED, "cannot map %zu bytes in the target", code_len);
    }
    mem_write(code_addr, code, code_len);

    int mode = RTLD_NOW | (libc.private_api ? 0x80000000 : 0); /* __RTLD_DLOPEN for the private API */
    unsigned long handle = remote_call(libc.dlopen_fn, so_addr, (unsigned long)mode, call_sp);
    if (!handle) {
        char why[256] = "unknown reason";
        if (libc.dlerror_fn) {
            unsigned long msg = remote_call(libc.dlerror_fn, 0, 0, call_sp);
            if (msg) {
                mem_read(msg, why, sizeof why - 1);
                why[sizeof why - 1] = 0;
            }
        }
        remote_call(libc.munmap_fn, code_addr, code_len, call_sp);
        give_back();
        die(EXIT_CALL_FAILED, "dlopen(%s) failed in the target: %s", boot_so, why);
    }
    unsigned long boot = remote_call(libc.dlsym_fn, handle, sym_addr, call_sp);
    if (!boot) {
        remote_call(libc.munmap_fn, code_addr, code_len, call_sp);
        give_back();
        die(EXIT_CALL_FAILED, "flight_boot not found in %s", boot_so);
    }
    long rc = (long)(int)remote_call(boot, code_addr, 0, call_sp);
    remote_call(libc.munmap_fn, code_addr, code_len, call_sp);
    give_back();
    close(mem_fd);
    if (rc == -1) die(EXIT_BOOT_REFUSED, "the target has no Python C API (not a CPython process?)");
    if (rc == -2) die(EXIT_BOOT_REFUSED, "Python is not initialized (or is finalizing) in the target");
    if (rc == -5) die(EXIT_BOOT_REFUSED, "another attach is starting the agent in pid %d; try again", target_pid);
    if (rc == 1) {
        puts("flight-inject: reused the waiting boot thread");
        return 0;
    }
    if (rc != 0) die(EXIT_BOOT_REFUSED, "the boot thread could not start (code %ld)", rc);
    return 0;
}
