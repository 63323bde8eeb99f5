package dev.kedrec.neo4j;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

/**
 * A Neo4j 5 community server for tests and benchmarks: the database embedded in this process,
 * Bolt on a loopback port, no HTTP, authentication off (loopback only, throwaway data).
 *
 *   java -cp 'target/lib/*:target/classes' dev.kedrec.neo4j.Main <data-dir> <url-file> [port]
 *
 * Writes bolt://127.0.0.1:PORT to url-file once Bolt accepts connections, then runs until
 * SIGTERM/SIGINT, on which the database shuts down cleanly.
 */
public final class Main {
  public static void main(String[] args) throws Exception {
    if (args.length < 2) {
      System.err.println("usage: Main <data-dir> <url-file> [port]");
      System.exit(64);
    }
    Path home = Path.of(args[0]).toAbsolutePath();
    Path urlFile = Path.of(args[1]).toAbsolutePath();
    int port = args.length > 2 ? Integer.parseInt(args[2]) : freePort();
    Files.createDirectories(home);
    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
        .setConfig(HttpConnector.enabled, false)
        .setConfig(GraphDatabaseSettings.auth_enabled, false)
        .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ZERO)
        .build();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      dbms.shutdown();
      stop.countDown();
    }));
    // The default database is up once build() returns; Bolt listens from then on.
    dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
    Path tmp = urlFile.resolveSibling(urlFile.getFileName() + ".tmp");
    Files.writeString(tmp, "bolt://127.0.0.1:" + port + "\n");
    Files.move(tmp, urlFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    System.err.println("neo4j: bolt://127.0.0.1:" + port + " (data in " + home + ")");
    stop.await();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
