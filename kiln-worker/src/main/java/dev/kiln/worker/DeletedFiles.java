package dev.kiln.worker;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The files of directories a removal is about to delete, walked before it, so that what it freed can be told after.
 * A file's data goes only with its last name, and names of one file may lie in several of them (a COPY from a local
 * source links the source's files into its layer; a session copy may share inodes with layers), or outside them, in a
 * layer or directory that stays. So a file linked more than once counts only when each of its names ({@code links})
 * was seen within the deleted directories; du's listing instead counts it at one record, which is what the disk
 * holds but not what removing that record frees.
 *
 * <p>Each directory is walked again here rather than taken from its kept measure ({@link DiskUsage.LayerFiles}): the
 * measure keeps a linked file once, without how many names it has or how many of them lie in the layer, and a file
 * loses names as the layers that linked it are removed after the measure.
 */
final class DeletedFiles {

    /** One name of a file linked more than once: its inode, how many names it has, its size. */
    private record LinkedName(DiskUsage.InodeKey file, int links, long size) {}

    /** One directory's files: the bytes of those with one name, and the names of those with more. */
    private record Tree(Path root, long singlyLinked, List<LinkedName> linked) {}

    private final List<Tree> trees;

    private DeletedFiles(List<Tree> trees) {
        this.trees = List.copyOf(trees);
    }

    /** Walks each of {@code roots}, one lstat an entry; a root that is gone already frees nothing. */
    static DeletedFiles walk(List<Path> roots) {
        List<Tree> trees = new ArrayList<>(roots.size());
        for (Path root : roots) {
            long[] singlyLinked = {0};
            List<LinkedName> linked = new ArrayList<>();
            DiskUsage.eachFile(
                    root,
                    bytes -> singlyLinked[0] += bytes,
                    name -> linked.add(new LinkedName(
                            new DiskUsage.InodeKey(name.device(), name.inode()), name.links(), name.size())));
            trees.add(new Tree(root, singlyLinked[0], List.copyOf(linked)));
        }
        return new DeletedFiles(trees);
    }

    /**
     * The bytes freed by deleting the walked directories that are gone now. One may outlive the removal (a layer an
     * open view still holds), and then neither its files nor the names it keeps of others' are freed.
     */
    long freed() {
        long bytes = 0;
        Map<DiskUsage.InodeKey, Integer> namesLeft = new HashMap<>();
        for (Tree tree : trees) {
            if (Files.exists(tree.root(), LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            bytes += tree.singlyLinked();
            for (LinkedName name : tree.linked()) {
                if (namesLeft.merge(name.file(), name.links() - 1, (left, seen) -> left - 1) == 0) {
                    bytes += name.size();
                }
            }
        }
        return bytes;
    }
}
