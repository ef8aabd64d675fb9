# Dot-sourced by the listener tests, in a fresh pwsh with $session (to the test host, the module
# already there), $HostRoot, $ProbeTransport, $ProbeSize and $ProbeStripes set: starts the far
# half of a copy of a file probe.bin by hand (RemoteAgent.Receive, as $global:agent there) with a
# fresh $secret and $key, its listener at $endPoint. Connect and Test-Dropped connect to it as a
# stranger would.
$secret = [byte[]]::new(32); [Security.Cryptography.RandomNumberGenerator]::Fill($secret)
$key = [byte[]]::new(32); [Security.Cryptography.RandomNumberGenerator]::Fill($key)
$options = @{ Transport = $ProbeTransport; Secret = [Convert]::ToHexString($secret); Key = [Convert]::ToHexString($key); Stripes = $ProbeStripes } | ConvertTo-Json -Compress
$header = @{ SourcePath = '/src/probe.bin'; Name = 'probe.bin'; Size = $ProbeSize; Mode = 33188; Uid = 0; Gid = 0; AccessSeconds = 0; AccessNanoseconds = 0; ModifySeconds = 0; ModifyNanoseconds = 0 } | ConvertTo-Json -Compress
$endPoint = Invoke-Command -Session $session { param($d, $h, $o) $global:agent = [SpliceModule.Commands.RemoteAgent]::Receive($d, $h, $o); $step = $global:agent.Opening; while (-not $step.Wait()) { }; "$($step.Result)" } -ArgumentList $HostRoot, $header, $options

function Connect([byte[]] $first) {
    $client = [Net.Sockets.TcpClient]::new()
    $client.Connect([Net.IPEndPoint]::Parse($endPoint))
    $stream = $client.GetStream()
    $stream.Write($first, 0, $first.Length)
    $stream.Flush()
    [pscustomobject]@{ Client = $client; Stream = $stream }
}

# A stranger's connection is closed without the listener reading past 32 bytes: the listener
# must be taking connections (its Finish running) for it to close one; a read that only times out
# is no drop.
function Test-Dropped($connection) {
    $connection.Stream.ReadTimeout = 10000
    try { $connection.Stream.Read([byte[]]::new(1), 0, 1) -eq 0 }
    catch [IO.IOException] {
        $cause = $_.Exception
        while ($cause -and $cause -isnot [Net.Sockets.SocketException]) { $cause = $cause.InnerException }
        -not ($cause -and $cause.SocketErrorCode -eq [Net.Sockets.SocketError]::TimedOut)
    }
    finally { $connection.Client.Dispose() }
}
