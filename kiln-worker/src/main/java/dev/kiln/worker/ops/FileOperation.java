package dev.kiln.worker.ops;

import dev.kiln.llb.pb.ChownOpt;
import dev.kiln.llb.pb.FileAction;
import dev.kiln.llb.pb.FileActionCopy;
import dev.kiln.llb.pb.Op;
import dev.kiln.llb.pb.UserOpt;
import dev.kiln.solver.CacheMap;
import dev.kiln.solver.InputKey;
import dev.kiln.solver.Operation;
import dev.kiln.solver.OperationContext;
import dev.kiln.solver.Result;
import dev.kiln.worker.SelectorText;
import dev.kiln.worker.SnapshotResult;
import dev.kiln.worker.fs.ChecksumSelector;
import dev.kiln.worker.fs.CopyOptions;
import dev.kiln.worker.fs.FileActions;
import dev.kiln.worker.fs.LayerFile;
import dev.kiln.worker.fs.Owner;
import dev.kiln.worker.fs.OwnerName;
import dev.kiln.worker.fs.OwnerRef;
import dev.kiln.worker.fs.SharedFiles;
import dev.kiln.worker.fs.SymbolicMode;
import dev.kiln.worker.fs.UserLookup;
import dev.kiln.worker.snapshot.ActiveSnapshot;
import dev.kiln.worker.snapshot.Mounted;
import dev.kiln.worker.snapshot.PendingLinks;
import dev.kiln.worker.snapshot.Snapshot;
import dev.kiln.worker.snapshot.Snapshotter;
import dev.kiln.worker.user.Identity;
import dev.kiln.worker.user.UserDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FileOp: mkdir, mkfile, rm, symlink and copy actions applied in order. An action's input is one
 * of the op's inputs, or (an index past them) the result of an earlier action; each action's
 * result is a committed snapshot, and those named by an {@code output} index are the op's outputs.
 */
public final class FileOperation implements Operation {

    private final Op op;
    private final Snapshotter snapshotter;

    public FileOperation(Op op, Snapshotter snapshotter) {
        this.op = op;
        this.snapshotter = snapshotter;
    }

    /**
     * An input read only as the source of copies is keyed by the content of the copied paths, so
     * that rebuilding it to the same files keeps this step cached; any other input by its key.
     */
    @Override
    public CacheMap cacheMap(OperationContext ctx) {
        int inputCount = op.getInputsCount();
        Map<Integer, List<String>> copySources = new LinkedHashMap<>();
        boolean[] usedOtherwise = new boolean[inputCount];
        for (FileAction action : op.getFile().getActionsList()) {
            if (action.getInput() >= 0 && action.getInput() < inputCount) {
                usedOtherwise[(int) action.getInput()] = true;
            }
            long secondary = action.getSecondaryInput();
            if (secondary >= 0 && secondary < inputCount) {
                if (action.hasCopy()) {
                    copySources
                            .computeIfAbsent((int) secondary, i -> new ArrayList<>())
                            .add(SelectorText.encode(copySelector(action.getCopy())));
                } else {
                    usedOtherwise[(int) secondary] = true;
                }
            }
            if (owner(action).hasUser() && owner(action).getUser().hasByName()) {
                markNamedInput(owner(action).getUser(), inputCount, usedOtherwise);
            }
            if (owner(action).hasGroup() && owner(action).getGroup().hasByName()) {
                markNamedInput(owner(action).getGroup(), inputCount, usedOtherwise);
            }
        }
        List<InputKey> keys = new ArrayList<>();
        for (int i = 0; i < inputCount; i++) {
            keys.add(
                    copySources.containsKey(i) && !usedOtherwise[i]
                            ? new InputKey.ByContent(copySources.get(i))
                            : new InputKey.ByCacheKey());
        }
        return new CacheMap(OpKeys.withoutInputs(op), keys);
    }

    /**
     * The part of the source a copy reads, as BuildKit selects it for a copy's content key: a
     * symlink named as the source counts as the link unless the copy follows it, a pattern only
     * when the copy expands patterns (a plain path stays a path, so a missing one is reported as
     * missing), and only the files its include and exclude patterns let through.
     */
    private static ChecksumSelector copySelector(FileActionCopy copy) {
        boolean pattern =
                copy.getAllowWildcard() && ChecksumSelector.of(copy.getSrc()).wildcard();
        return new ChecksumSelector(
                copy.getSrc(),
                copy.getFollowSymlink(),
                pattern,
                copy.getIncludePatternsList(),
                copy.getExcludePatternsList());
    }

    private static void markNamedInput(UserOpt user, int inputCount, boolean[] used) {
        long input = user.getByName().getInput();
        if (input >= 0 && input < inputCount) {
            used[(int) input] = true;
        }
    }

    @Override
    public List<Result> exec(OperationContext ctx, List<Result> inputs) throws Exception {
        List<FileAction> actions = op.getFile().getActionsList();
        Snapshot[] actionResults = new Snapshot[actions.size()];
        Map<Integer, Snapshot> outputs = new LinkedHashMap<>();
        for (int i = 0; i < actions.size(); i++) {
            FileAction action = actions.get(i);
            Snapshot base = resolve(action.getInput(), inputs, actionResults, i, "input");
            actionResults[i] = apply(action, base, inputs, actionResults, i);
            if (action.getOutput() >= 0) {
                outputs.put((int) action.getOutput(), actionResults[i]);
            }
        }
        return Inputs.outputs(outputs, "file op has no action writing");
    }

    private Snapshot resolve(long index, List<Result> inputs, Snapshot[] actionResults, int current, String what) {
        if (index < 0) {
            return Snapshot.SCRATCH;
        }
        if (index < inputs.size()) {
            return SnapshotResult.of(inputs.get((int) index));
        }
        int action = (int) (index - inputs.size());
        if (action >= current) {
            throw new IllegalArgumentException("file action " + current + ": " + what + " " + index
                    + " refers to action " + action + ", which does not come before it");
        }
        return actionResults[action];
    }

    private Snapshot apply(FileAction action, Snapshot base, List<Result> inputs, Snapshot[] actionResults, int index)
            throws Exception {
        try (ActiveSnapshot active = snapshotter.prepare(base)) {
            Path root = active.mount();
            FileActions files = new FileActions(root, users(root, inputs, actionResults, index));
            switch (action.getActionCase()) {
                case MKDIR -> {
                    var mkdir = action.getMkdir();
                    files.mkdir(
                            mkdir.getPath(),
                            mkdir.getMode(),
                            mkdir.getMakeParents(),
                            owner(mkdir.hasOwner() ? mkdir.getOwner() : null),
                            time(mkdir.getTimestamp()));
                }
                case MKFILE -> {
                    var mkfile = action.getMkfile();
                    files.mkfile(
                            mkfile.getPath(),
                            mkfile.getMode(),
                            mkfile.getData().toByteArray(),
                            owner(mkfile.hasOwner() ? mkfile.getOwner() : null),
                            time(mkfile.getTimestamp()));
                }
                case RM -> {
                    var rm = action.getRm();
                    files.rm(rm.getPath(), rm.getAllowNotFound(), rm.getAllowWildcard());
                }
                case SYMLINK -> {
                    var symlink = action.getSymlink();
                    files.symlink(
                            symlink.getOldpath(),
                            symlink.getNewpath(),
                            owner(symlink.hasOwner() ? symlink.getOwner() : null),
                            time(symlink.getTimestamp()));
                }
                case COPY -> copy(files, active, action, inputs, actionResults, index);
                case ACTION_NOT_SET -> throw new IllegalArgumentException("file action " + index + " has no kind");
            }
            return active.commit();
        }
    }

    private void copy(
            FileActions files,
            ActiveSnapshot target,
            FileAction action,
            List<Result> inputs,
            Snapshot[] actionResults,
            int index)
            throws Exception {
        FileActionCopy copy = action.getCopy();
        if (action.getSecondaryInput() < 0) {
            throw new IllegalArgumentException(
                    "file action " + index + ": copy of " + copy.getSrc() + " has no source input");
        }
        Snapshot source = resolve(action.getSecondaryInput(), inputs, actionResults, index, "copy source");
        try (Mounted sourceRoot = snapshotter.mountReadOnly(source)) {
            files.copy(
                    sourceRoot.path(),
                    copy.getSrc(),
                    copy.getDest(),
                    copyOptions(copy, index),
                    shared(sourceRoot, target));
        }
    }

    /**
     * Unchanged files of an immutable source become hard links when both sides allow it: the source is a view of
     * committed layers and the target snapshot can link into its new layer. Otherwise (null) every file is copied.
     */
    static SharedFiles shared(Mounted source, ActiveSnapshot target) throws IOException {
        if (source.layers().isEmpty()) {
            return null;
        }
        PendingLinks links = target.pendingLinks().orElse(null);
        if (links == null) {
            return null;
        }
        return new SharedFiles(source.layers(), new SharedFiles.Links() {
            @Override
            public boolean canLinkInto(String relativeDir) {
                return links.canLinkInto(relativeDir);
            }

            @Override
            public void add(String relative, LayerFile file) {
                links.add(relative, file);
            }

            @Override
            public void forget(String relative, boolean subtree) {
                links.forget(relative, subtree);
            }
        });
    }

    /** A symbolic mode (modeStr), when there is one, wins over the numeric mode, as in BuildKit. */
    private static CopyOptions copyOptions(FileActionCopy copy, int index) {
        CopyOptions options = new CopyOptions(
                owner(copy.hasOwner() ? copy.getOwner() : null),
                copy.getMode() < 0 ? null : copy.getMode(),
                copy.getFollowSymlink(),
                copy.getDirCopyContents(),
                copy.getAttemptUnpackDockerCompatibility(),
                copy.getCreateDestPath(),
                copy.getAllowWildcard(),
                copy.getAllowEmptyWildcard(),
                time(copy.getTimestamp()),
                copy.getIncludePatternsList(),
                copy.getExcludePatternsList(),
                copy.getAlwaysReplaceExistingDestPaths(),
                null);
        if (copy.getModeStr().isEmpty()) {
            return options;
        }
        try {
            return options.withSymbolicMode(SymbolicMode.parse(copy.getModeStr()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "file action " + index + ": copy of " + copy.getSrc() + ": " + e.getMessage(), e);
        }
    }

    /** BuildKit writes -1 for "no timestamp"; anything else is nanoseconds since the epoch. */
    private static Instant time(long nanos) {
        return nanos == -1 ? null : Instant.ofEpochSecond(0, nanos);
    }

    private static ChownOpt owner(FileAction action) {
        return switch (action.getActionCase()) {
            case MKDIR -> action.getMkdir().getOwner();
            case MKFILE -> action.getMkfile().getOwner();
            case COPY -> action.getCopy().getOwner();
            case SYMLINK -> action.getSymlink().getOwner();
            default -> ChownOpt.getDefaultInstance();
        };
    }

    /** A ChownOpt as the file actions take it: ids stay ids, names go to the user database. */
    private static OwnerRef owner(ChownOpt chown) {
        if (chown == null || !chown.hasUser()) {
            return null;
        }
        UserOpt user = chown.getUser();
        UserOpt group = chown.hasGroup() ? chown.getGroup() : null;
        if (user.hasByName() || (group != null && group.hasByName())) {
            return new OwnerName(userText(user), group == null ? null : userText(group));
        }
        int uid = user.getByID();
        return new Owner(uid, group == null ? uid : group.getByID());
    }

    private static String userText(UserOpt user) {
        return user.hasByName() ? user.getByName().getName() : Integer.toString(user.getByID());
    }

    /**
     * Names are looked up in the /etc/passwd and /etc/group of the filesystem being written,
     * unless the action names another input to read them from.
     */
    private UserLookup users(Path root, List<Result> inputs, Snapshot[] actionResults, int index) {
        return name -> {
            FileAction action = op.getFile().getActions(index);
            ChownOpt chown = owner(action);
            long from = chown.hasUser() && chown.getUser().hasByName()
                    ? chown.getUser().getByName().getInput()
                    : -1;
            UserDatabase database;
            if (from >= 0 && from != action.getInput()) {
                try (Mounted other =
                        snapshotter.mountReadOnly(resolve(from, inputs, actionResults, index, "owner input"))) {
                    database = UserDatabase.of(other.path());
                }
            } else {
                database = UserDatabase.of(root);
            }
            try {
                Identity identity = database.resolveUser(name.user());
                int gid = name.group() == null ? identity.gid() : database.resolveGroup(name.group());
                return new Owner(identity.uid(), gid);
            } catch (IllegalArgumentException e) {
                throw new IOException(e.getMessage(), e);
            }
        };
    }
}
