<?php
// Conformance script for psbench's caching MySQL proxy.
//
// Talks to MySQL exactly as PrestaShop 8.1 does (PDO with emulated prepares,
// utf8mb4 DSN, SET NAMES / SET SESSION sql_mode on connect, a second
// Doctrine-style connection that edits sql_mode with a subquery, text
// protocol, back-quoted multi-line SELECTs, SQL_NO_CACHE, EXPLAIN), plus
// mysqli (query, multi_query, real_escape_string, affected_rows, insert_id,
// select_db, prepared statements), and prints one canonical JSON document
// of every outcome. The Go test runs it directly against MariaDB and
// through the proxy and requires byte-identical output.
//
// Environment: PSB_HOST, PSB_PORT, PSB_USER, PSB_PASS, PSB_DB, PSB_DB2.
// The fixture (created by the Go test) must be fresh for every run.

declare(strict_types=1);
error_reporting(E_ALL);

$host = getenv('PSB_HOST') ?: '127.0.0.1';
$port = (int)(getenv('PSB_PORT') ?: '3306');
$user = getenv('PSB_USER');
$pass = getenv('PSB_PASS');
$db   = getenv('PSB_DB');
$db2  = getenv('PSB_DB2');
if ($user === false || $pass === false || $db === false || $db2 === false) {
    fwrite(STDERR, "PSB_USER, PSB_PASS, PSB_DB and PSB_DB2 are required\n");
    exit(2);
}

$out = [];

/** Canonical form of one value: type-tagged, binary as hex, big as digest. */
function canon($v)
{
    if ($v === null) {
        return null;
    }
    if (is_bool($v)) {
        return $v ? 'bool:true' : 'bool:false';
    }
    if (is_int($v)) {
        return 'int:' . $v;
    }
    if (is_float($v)) {
        return 'float:' . var_export($v, true);
    }
    $s = (string)$v;
    if (strlen($s) > 256) {
        return 'big:len=' . strlen($s) . ',sha256=' . substr(hash('sha256', $s), 0, 16);
    }
    if (preg_match('//u', $s) === 1 && strpos($s, "\0") === false) {
        return 's:' . $s;
    }
    return 'x:' . bin2hex($s);
}

function canonRows(array $rows): array
{
    $o = [];
    foreach ($rows as $r) {
        $row = [];
        foreach ($r as $k => $v) {
            $row[(string)$k] = canon($v);
        }
        $o[] = $row;
    }
    return $o;
}

function pdoError(PDOException $e): array
{
    return [
        'exception' => 'PDOException',
        'code' => (string)$e->getCode(),
        'sqlstate' => $e->errorInfo[0] ?? null,
        'driver_code' => $e->errorInfo[1] ?? null,
        'message' => $e->errorInfo[2] ?? $e->getMessage(),
    ];
}

function mysqliError(mysqli_sql_exception $e): array
{
    return [
        'exception' => 'mysqli_sql_exception',
        'code' => $e->getCode(),
        'sqlstate' => $e->getSqlState(),
        'message' => $e->getMessage(),
    ];
}

/** Records one step's outcome under a unique name. */
function record(string $name, callable $fn): void
{
    global $out;
    if (array_key_exists($name, $out)) {
        throw new LogicException("duplicate step $name");
    }
    try {
        $out[$name] = $fn();
    } catch (PDOException $e) {
        $out[$name] = ['error' => pdoError($e)];
    } catch (mysqli_sql_exception $e) {
        $out[$name] = ['error' => mysqliError($e)];
    }
}

/** PDO query: rows (associative), column metadata, row count. */
function pdoRows(PDO $pdo, string $sql, ?array $params = null): array
{
    if ($params === null) {
        $st = $pdo->query($sql);
    } else {
        $st = $pdo->prepare($sql);
        $st->execute($params);
    }
    $meta = [];
    for ($i = 0; $i < $st->columnCount(); $i++) {
        $m = $st->getColumnMeta($i);
        $meta[] = [
            'name' => $m['name'],
            'native_type' => $m['native_type'] ?? null,
            'pdo_type' => $m['pdo_type'],
            'len' => $m['len'],
            'precision' => $m['precision'],
            'flags' => $m['flags'],
            'table' => $m['table'] ?? null,
        ];
    }
    $rows = $st->fetchAll(PDO::FETCH_ASSOC);
    return ['meta' => $meta, 'rows' => canonRows($rows), 'rowCount' => $st->rowCount()];
}

function pdoConnect(string $host, int $port, string $db, string $user, string $pass): PDO
{
    // PrestaShop 8.1 DbPDO::getPDO: utf8mb4 in the DSN, buffered queries;
    // PDO_MYSQL emulates prepares (the text protocol only).
    $dsn = "mysql:host=$host;port=$port;dbname=$db;charset=utf8mb4";
    return new PDO($dsn, $user, $pass, [
        PDO::ATTR_TIMEOUT => 5,
        PDO::MYSQL_ATTR_USE_BUFFERED_QUERY => true,
        PDO::ATTR_EMULATE_PREPARES => true,
        PDO::ATTR_ERRMODE => PDO::ERRMODE_EXCEPTION,
    ]);
}

// ---------------------------------------------------------------------------
// PDO, PrestaShop's own connection.

$pdo = pdoConnect($host, $port, $db, $user, $pass);
$pdo->exec("SET NAMES 'utf8mb4'");
$pdo->exec("SET SESSION sql_mode = ''");

$productQuery = <<<'SQL'
SELECT p.`id_product`, pl.`name`, p.`price`, p.`reference`, p.`date_add`,
       pl.`description`, p.`active`
FROM `ps_product` p
LEFT JOIN `ps_product_lang` pl
       ON (pl.`id_product` = p.`id_product` AND pl.`id_lang` = 1)
WHERE p.`active` = 1
ORDER BY p.`id_product` ASC
SQL;

foreach ([1, 2, 3] as $i) {
    record("pdo_product_list_$i", fn () => pdoRows($pdo, $productQuery));
}

$moduleQuery = "SELECT `id_module` FROM `ps_module` WHERE `name` = 'ps_shoppingcart' LIMIT 1";
foreach ([1, 2, 3] as $i) {
    record("pdo_module_lookup_$i", fn () => pdoRows($pdo, $moduleQuery));
}

record('pdo_sql_no_cache', fn () => pdoRows($pdo,
    'SELECT SQL_NO_CACHE `id_guest` FROM `ps_guest` WHERE `id_customer` = 7'));

record('pdo_explain', fn () => pdoRows($pdo,
    'EXPLAIN SELECT * FROM `ps_specific_price` WHERE `id_specific_price` = 1'));

record('pdo_nulls', fn () => pdoRows($pdo,
    'SELECT NULL AS a, `reference`, `description` FROM `ps_product` p LEFT JOIN `ps_product_lang` pl ON pl.id_product = p.id_product WHERE p.id_product = 3'));

record('pdo_blob', fn () => pdoRows($pdo, 'SELECT id, data, LENGTH(data), HEX(data) FROM ps_blob ORDER BY id'));
record('pdo_blob_again', fn () => pdoRows($pdo, 'SELECT id, data, LENGTH(data), HEX(data) FROM ps_blob ORDER BY id'));

record('pdo_utf8mb4', fn () => pdoRows($pdo,
    "SELECT `name`, CHAR_LENGTH(`name`), '🛒 panier' AS lit FROM `ps_product_lang` WHERE `name` LIKE '%🙂%'"));

record('pdo_insert_guest', function () use ($pdo) {
    $n = $pdo->exec("INSERT INTO `ps_guest` (`id_customer`, `accept_language`) VALUES (0, 'fr')");
    return ['exec' => $n, 'lastInsertId' => $pdo->lastInsertId()];
});
record('pdo_insert_connections', function () use ($pdo) {
    $gid = (int)$pdo->lastInsertId();
    $st = $pdo->prepare('INSERT INTO `ps_connections` (`id_guest`, `ip_address`, `http_referer`) VALUES (:g, :ip, :ref)');
    $st->execute([':g' => $gid, ':ip' => 2130706433, ':ref' => null]);
    return ['rowCount' => $st->rowCount(), 'lastInsertId' => $pdo->lastInsertId()];
});
record('pdo_guest_after_insert', fn () => pdoRows($pdo, 'SELECT COUNT(*) AS n, MAX(`id_guest`) AS m FROM `ps_guest`'));

record('pdo_update_rowcount', function () use ($pdo) {
    $st = $pdo->prepare('UPDATE `ps_product` SET `price` = `price` * 2 WHERE `id_product` <= ?');
    $st->execute([2]);
    return ['rowCount' => $st->rowCount()];
});
record('pdo_update_nochange', function () use ($pdo) {
    return ['exec' => $pdo->exec('UPDATE `ps_product` SET `active` = `active`')];
});
foreach ([1, 2] as $i) {
    record("pdo_product_list_after_update_$i", fn () => pdoRows($pdo, $productQuery));
}

record('pdo_emulated_params', fn () => pdoRows($pdo,
    'SELECT `id_product`, `reference` FROM `ps_product` WHERE `reference` = ? OR `id_product` = ?',
    ["O'Reilly \"ref\"", 3]));
record('pdo_quote', fn () => ['quoted' => canon($pdo->quote("it's a \"test\" \\ \0 🙂"))]);

record('pdo_error_unknown_table', fn () => pdoRows($pdo, 'SELECT * FROM `ps_does_not_exist`'));
record('pdo_error_syntax', fn () => pdoRows($pdo, 'SELEC `id_product` FROM `ps_product`'));
record('pdo_error_duplicate', fn () => ['exec' => $pdo->exec("INSERT INTO `ps_configuration` (`id_configuration`, `name`, `value`) VALUES (1, 'PS_DUP', 'x')")]);
record('pdo_after_errors', fn () => pdoRows($pdo, $moduleQuery));

record('pdo_truncation_warning', function () use ($pdo) {
    $n = $pdo->exec("INSERT INTO `ps_configuration` (`name`, `value`) VALUES ('PS_THIS_NAME_IS_FAR_TOO_LONG_FOR_THE_COLUMN_WIDTH', 'v')");
    return ['exec' => $n, 'warnings' => pdoRows($pdo, 'SHOW WARNINGS')];
});

record('pdo_multi_statement', function () use ($pdo) {
    $st = $pdo->query("SELECT 1 AS a; SELECT 'two' AS b, NULL AS c; SELECT `value` FROM `ps_configuration` WHERE `name` = 'PS_SHOP_NAME'");
    $sets = [];
    do {
        $sets[] = canonRows($st->fetchAll(PDO::FETCH_ASSOC));
    } while ($st->nextRowset());
    return ['sets' => $sets];
});
record('pdo_multi_statement_again', function () use ($pdo) {
    $st = $pdo->query("SELECT 1 AS a; SELECT 'two' AS b, NULL AS c; SELECT `value` FROM `ps_configuration` WHERE `name` = 'PS_SHOP_NAME'");
    $sets = [];
    do {
        $sets[] = canonRows($st->fetchAll(PDO::FETCH_ASSOC));
    } while ($st->nextRowset());
    return ['sets' => $sets];
});

record('pdo_transaction_rollback', function () use ($pdo) {
    $pdo->beginTransaction();
    $pdo->exec("UPDATE `ps_configuration` SET `value` = 'in tx' WHERE `name` = 'PS_SHOP_NAME'");
    $inside = pdoRows($pdo, "SELECT `value` FROM `ps_configuration` WHERE `name` = 'PS_SHOP_NAME'");
    $pdo->rollBack();
    return ['inside' => $inside, 'after' => pdoRows($pdo, "SELECT `value` FROM `ps_configuration` WHERE `name` = 'PS_SHOP_NAME'")];
});

// ---------------------------------------------------------------------------
// PDO, the Doctrine DBAL connection: its own sql_mode.

$doctrine = pdoConnect($host, $port, $db, $user, $pass);
$doctrine->exec("SET sql_mode = (SELECT REPLACE(@@sql_mode, 'ONLY_FULL_GROUP_BY', ''))");
$groupBy = 'SELECT `id_product`, `name` FROM `ps_product_lang` GROUP BY `id_product` ORDER BY `id_product`';
foreach ([1, 2] as $i) {
    record("doctrine_group_by_$i", fn () => pdoRows($doctrine, $groupBy));
}
record('doctrine_sql_mode', fn () => pdoRows($doctrine, 'SELECT @@SESSION.sql_mode AS m'));
record('doctrine_product_list', fn () => pdoRows($doctrine, $productQuery));

// A third connection whose sql_mode has ONLY_FULL_GROUP_BY: the same text
// must fail here, whatever the other connections cached.
$strict = pdoConnect($host, $port, $db, $user, $pass);
$strict->exec("SET SESSION sql_mode = 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES'");
record('strict_group_by', fn () => pdoRows($strict, $groupBy));
record('strict_truncation_error', fn () => ['exec' => $strict->exec("INSERT INTO `ps_configuration` (`name`, `value`) VALUES ('PS_THIS_NAME_IS_FAR_TOO_LONG_FOR_THE_COLUMN_WIDTH', 'v')")]);
$strict = null;
$doctrine = null;

// ---------------------------------------------------------------------------
// mysqli

mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
$m = new mysqli($host, $user, $pass, $db, $port);
$m->set_charset('utf8mb4');
$m->query("SET SESSION sql_mode = ''");

function mysqliRows(mysqli $m, string $sql): array
{
    $r = $m->query($sql);
    if ($r === true) {
        return ['affected_rows' => $m->affected_rows, 'insert_id' => $m->insert_id, 'info' => $m->info, 'warning_count' => $m->warning_count];
    }
    $fields = [];
    foreach ($r->fetch_fields() as $f) {
        $fields[] = ['name' => $f->name, 'orgname' => $f->orgname, 'table' => $f->table, 'type' => $f->type,
            'length' => $f->length, 'charsetnr' => $f->charsetnr, 'flags' => $f->flags, 'decimals' => $f->decimals];
    }
    $rows = $r->fetch_all(MYSQLI_NUM);
    $r->free();
    return ['fields' => $fields, 'rows' => canonRows($rows), 'num_rows' => count($rows), 'warning_count' => $m->warning_count];
}

foreach ([1, 2] as $i) {
    record("mysqli_product_list_$i", fn () => mysqliRows($m, $productQuery));
}
record('mysqli_blob', fn () => mysqliRows($m, 'SELECT id, data FROM ps_blob ORDER BY id'));
record('mysqli_escape_insert', function () use ($m) {
    $esc = $m->real_escape_string("O'Reilly \\ \"quoted\" \0 nul 🙂");
    $res = mysqliRows($m, "INSERT INTO `ps_configuration` (`name`, `value`) VALUES ('PS_ESCAPED', '$esc')");
    $res['escaped'] = canon($esc);
    $res['read_back'] = mysqliRows($m, "SELECT `value` FROM `ps_configuration` WHERE `name` = 'PS_ESCAPED'");
    return $res;
});
record('mysqli_multi_row_insert', fn () => mysqliRows($m, "INSERT INTO `ps_guest` (`id_customer`, `accept_language`) VALUES (1, 'de'), (2, 'it'), (3, 'es')"));
record('mysqli_update', fn () => mysqliRows($m, 'UPDATE `ps_guest` SET `accept_language` = UPPER(`accept_language`) WHERE `id_customer` > 0'));
record('mysqli_update_none', fn () => mysqliRows($m, 'UPDATE `ps_guest` SET `accept_language` = `accept_language`'));
record('mysqli_truncating_insert', fn () => mysqliRows($m, "INSERT INTO `ps_guest` (`id_customer`, `accept_language`) VALUES ('12abc', 'a language string that is too long')"));
record('mysqli_show_warnings', fn () => mysqliRows($m, 'SHOW WARNINGS'));
record('mysqli_error', fn () => mysqliRows($m, 'SELECT `nope` FROM `ps_product`'));
record('mysqli_multi_query', function () use ($m) {
    $m->multi_query("SELECT 1 AS one; UPDATE `ps_product` SET `reference` = CONCAT(`reference`, '-m') WHERE `id_product` = 1; SELECT `reference` FROM `ps_product` WHERE `id_product` = 1; INSERT INTO `ps_guest` (`id_customer`) VALUES (99)");
    $sets = [];
    do {
        $r = $m->store_result();
        if ($r instanceof mysqli_result) {
            $sets[] = ['rows' => canonRows($r->fetch_all(MYSQLI_ASSOC))];
            $r->free();
        } else {
            $sets[] = ['affected_rows' => $m->affected_rows, 'insert_id' => $m->insert_id];
        }
        if (!$m->more_results()) {
            break;
        }
    } while ($m->next_result());
    return ['sets' => $sets];
});
record('mysqli_multi_query_error', function () use ($m) {
    $sets = [];
    try {
        $m->multi_query('SELECT 1 AS ok; SELECT * FROM `ps_nope`; SELECT 3');
        do {
            $r = $m->store_result();
            if ($r instanceof mysqli_result) {
                $sets[] = canonRows($r->fetch_all(MYSQLI_NUM));
                $r->free();
            }
            if (!$m->more_results()) {
                break;
            }
        } while ($m->next_result());
    } catch (mysqli_sql_exception $e) {
        $sets[] = ['error' => mysqliError($e)];
    }
    $sets[] = mysqliRows($m, "SELECT 'alive' AS after_error");
    return ['sets' => $sets];
});
record('mysqli_prepared', function () use ($m) {
    // mysqli prepares on the server: COM_STMT_PREPARE / EXECUTE.
    $st = $m->prepare('SELECT `id_product`, `price`, `reference`, `date_add` FROM `ps_product` WHERE `id_product` >= ? ORDER BY `id_product`');
    $min = 2;
    $st->bind_param('i', $min);
    $st->execute();
    $rows = canonRows($st->get_result()->fetch_all(MYSQLI_NUM));
    $st->close();
    $ins = $m->prepare('INSERT INTO `ps_blob` (`data`) VALUES (?)');
    $blob = "\x00\xff\x00 prepared \xf0\x9f\x99\x82";
    $null = null;
    $ins->bind_param('b', $null);
    $ins->send_long_data(0, $blob);
    $ins->execute();
    $res = ['rows' => $rows, 'insert_id' => $ins->insert_id, 'affected_rows' => $ins->affected_rows];
    $ins->close();
    $res['blobs'] = mysqliRows($m, 'SELECT id, data FROM ps_blob ORDER BY id');
    return $res;
});
record('mysqli_select_db', function () use ($m, $db, $db2) {
    $m->select_db($db2); // COM_INIT_DB
    $in2 = mysqliRows($m, "SELECT `value` FROM `ps_configuration` WHERE `name` = 'PS_SHOP_NAME'");
    $in2again = mysqliRows($m, "SELECT `value` FROM `ps_configuration` WHERE `name` = 'PS_SHOP_NAME'");
    $m->select_db($db);
    $in1 = mysqliRows($m, "SELECT `value` FROM `ps_configuration` WHERE `name` = 'PS_SHOP_NAME'");
    return ['db2' => $in2, 'db2_again' => $in2again, 'db1' => $in1];
});
record('mysqli_ping', fn () => ['ping' => $m->ping()]);
record('mysqli_stat_like', fn () => mysqliRows($m, 'SELECT COUNT(*) FROM `ps_guest`'));
$m->close();

// Finally PrestaShop's connection reads what everyone wrote.
record('pdo_final_product_list', fn () => pdoRows($pdo, $productQuery));
record('pdo_final_guests', fn () => pdoRows($pdo, 'SELECT * FROM `ps_guest` ORDER BY `id_guest`'));
record('pdo_final_configuration', fn () => pdoRows($pdo, 'SELECT * FROM `ps_configuration` ORDER BY `id_configuration`'));
$pdo = null;

echo json_encode($out, JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR), "\n";
