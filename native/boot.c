/*
 * libflight_boot.so: loaded into the target by flight-inject (or any loader), it starts the agent.
 *
 * flight_boot(code) runs on a borrowed thread at a safe libc point, so it does as little as
 * possible: copy the code and start a detached thread. That thread joins the interpreter the way
 * foreign threads are meant to (PyGILState_Ensure waits for the GIL like any Python thread), runs
 * the bootstrap code in a fresh namespace (never __main__'s), and leaves. The Python C API is looked
 * up at run time, so one binary serves every CPython version.
 *
 * A target whose GIL is held (a long C call) keeps the boot thread waiting. An attach that gives
 * up leaves it waiting, and the next one must not add another: while a boot thread has not got the
 * GIL, flight_boot only replaces the code it will run (the newest attach's, with its token) and
 * returns 1. So at most one boot thread waits, whatever the number of tries; the bootstrap itself
 * gives up when it gets the GIL after its attach's deadline (attach/inject.py).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

typedef void PyObject;
typedef int (*IsInitializedFn)(void);
typedef int (*EnsureFn)(void);
typedef void (*ReleaseFn)(int);
typedef PyObject *(*DictNewFn)(void);
typedef int (*DictSetFn)(PyObject *, const char *, PyObject *);
typedef PyObject *(*GetBuiltinsFn)(void);
typedef PyObject *(*RunStringFn)(const char *, int, PyObject *, PyObject *, void *);
typedef void (*DecRefFn)(PyObject *);
typedef void (*ErrClearFn)(void);

#define PY_FILE_INPUT 257

static struct {
    IsInitializedFn is_initialized;
    EnsureFn gil_ensure;
    ReleaseFn gil_release;
    DictNewFn dict_new;
    DictSetFn dict_set;
    GetBuiltinsFn get_builtins;
    RunStringFn run_string;
    DecRefFn decref;
    ErrClearFn err_clear;
} api;

static int resolve_api(void) {
    api.is_initialized = (IsInitializedFn)dlsym(RTLD_DEFAULT, "Py_IsInitialized");
    api.gil_ensure = (EnsureFn)dlsym(RTLD_DEFAULT, "PyGILState_Ensure");
    api.gil_release = (ReleaseFn)dlsym(RTLD_DEFAULT, "PyGILState_Release");
    api.dict_new = (DictNewFn)dlsym(RTLD_DEFAULT, "PyDict_New");
    api.dict_set = (DictSetFn)dlsym(RTLD_DEFAULT, "PyDict_SetItemString");
    api.get_builtins = (GetBuiltinsFn)dlsym(RTLD_DEFAULT, "PyEval_GetBuiltins");
    api.run_string = (RunStringFn)dlsym(RTLD_DEFAULT, "PyRun_StringFlags");
    api.decref = (DecRefFn)dlsym(RTLD_DEFAULT, "Py_DecRef");
    api.err_clear = (ErrClearFn)dlsym(RTLD_DEFAULT, "PyErr_Clear");
    return api.is_initialized && api.gil_ensure && api.gil_release && api.dict_new && api.dict_set &&
           api.get_builtins && api.run_string && api.decref && api.err_clear;
}

static pthread_mutex_t boot_lock = PTHREAD_MUTEX_INITIALIZER;
static char *pending; /* the code the waiting boot thread runs once it has the GIL */
static int waiting;   /* a boot thread exists that has not got the GIL yet */

static void *boot_thread(void *arg) {
    (void)arg;
    int state = api.gil_ensure();
    pthread_mutex_lock(&boot_lock);
    char *code = pending;
    pending = NULL;
    waiting = 0;
    pthread_mutex_unlock(&boot_lock);
    PyObject *globals = code ? api.dict_new() : NULL;
    if (globals) {
        api.dict_set(globals, "__builtins__", api.get_builtins());
        PyObject *result = api.run_string(code, PY_FILE_INPUT, globals, globals, NULL);
        /* The bootstrap reports its own errors to the client; never print into the target. */
        if (result)
            api.decref(result);
        else
            api.err_clear();
        api.decref(globals);
    }
    api.gil_release(state);
    free(code);
    return NULL;
}

__attribute__((visibility("default"))) int flight_boot(const char *code) {
    if (!resolve_api()) return -1;
    if (!api.is_initialized()) return -2;
    char *copy = strdup(code);
    if (!copy) return -3;
    /* Never wait here (a borrowed thread): the boot thread holds the lock for a pointer swap. */
    if (pthread_mutex_trylock(&boot_lock) != 0) {
        free(copy);
        return -5;
    }
    if (waiting) { /* an earlier attach's boot thread still waits for the GIL: it runs this code */
        free(pending);
        pending = copy;
        pthread_mutex_unlock(&boot_lock);
        return 1;
    }
    pending = copy;
    waiting = 1;
    pthread_mutex_unlock(&boot_lock);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* The agent thread (and the threads it starts) take no process signals: those are the target's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_t thread;
    int rc = pthread_create(&thread, &attr, boot_thread, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        pthread_mutex_lock(&boot_lock);
        free(pending);
        pending = NULL;
        waiting = 0;
        pthread_mutex_unlock(&boot_lock);
        return -4;
    }
    return 0;
}
