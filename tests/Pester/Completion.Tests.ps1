# Tab completion as a user gets it (TabExpansion2): fixed choices for every enum or ValidateSet
# parameter of every exported cmdlet, and file system paths for the path parameters.

BeforeDiscovery {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force
    $common = [System.Management.Automation.PSCmdlet]::CommonParameters
    $choices = foreach ($command in Get-Command -Module SpliceModule -CommandType Cmdlet) {
        foreach ($parameter in $command.Parameters.Values | Where-Object Name -NotIn $common) {
            $type = $parameter.ParameterType
            if ($type.IsArray) { $type = $type.GetElementType() }
            if ([Nullable]::GetUnderlyingType($type)) { $type = [Nullable]::GetUnderlyingType($type) }
            $set = $parameter.Attributes | Where-Object { $_ -is [ValidateSet] } | Select-Object -First 1
            $values = if ($type.IsEnum) { [Enum]::GetNames($type) } elseif ($set) { $set.ValidValues } else { $null }
            if ($values) { @{ Command = $command.Name; Parameter = $parameter.Name; Values = @($values) } }
        }
    }
}

BeforeAll {
    Import-Module $env:SPLICEMODULE_TEST_MODULE -Force

    function Get-Completion([string] $Line) {
        (TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches
    }
}

Describe 'Completion of fixed choices' {
    It 'finds parameters with fixed choices to test' {
        # Copy-SpliceItem -Method is one; a test list that came out empty would test nothing.
        @($choices).Count | Should -BeGreaterThan 0
    }

    It '<Command> -<Parameter> completes every choice' -ForEach $choices {
        $texts = @(Get-Completion "$Command -$Parameter " | ForEach-Object CompletionText)
        foreach ($value in $Values) { $texts | Should -Contain $value }
    }

    It '<Command> -<Parameter> narrows the choices to what was typed' -ForEach $choices {
        $first = $Values[-1]
        $prefix = $first.Substring(0, [Math]::Min(3, $first.Length))
        $texts = @(Get-Completion "$Command -$Parameter $prefix" | ForEach-Object CompletionText)
        $texts | Should -Contain $first
        $texts | ForEach-Object { $_ | Should -BeLike "$prefix*" }
    }

    It 'completes Copy-SpliceItem -Method Sp to Splice' {
        @(Get-Completion 'Copy-SpliceItem -Method Sp' | ForEach-Object CompletionText) | Should -Be @('Splice')
    }
}

Describe 'Completion of paths' {
    BeforeAll {
        $script:Dir = Join-Path $TestDrive 'complete'
        New-Item -ItemType Directory -Path (Join-Path $script:Dir 'alpine') -Force | Out-Null
        Set-Content -LiteralPath (Join-Path $script:Dir 'alpha.bin') -Value 'a'
        Set-Content -LiteralPath (Join-Path $script:Dir 'al pha.txt') -Value 'a'
        Set-Content -LiteralPath (Join-Path $script:Dir 'beta.bin') -Value 'b'
    }

    It '<Line> offers the files and folders that start with what was typed' -ForEach @(
        @{ Line = 'Copy-SpliceItem -Path {0}/al' }
        @{ Line = 'Copy-SpliceItem {0}/al' }
        @{ Line = 'Copy-SpliceItem -LiteralPath {0}/al' }
        @{ Line = 'Copy-SpliceItem -Path {0}/beta.bin -Destination {0}/al' }
        @{ Line = 'Copy-SpliceItem {0}/beta.bin {0}/al' }
        @{ Line = 'Get-SpliceCapability -Path {0}/al' }
        @{ Line = 'Get-SpliceCapability {0}/al' }
    ) {
        $found = @(Get-Completion ($Line -f $script:Dir))
        $names = @($found | ForEach-Object ListItemText)
        $names | Should -Contain 'alpha.bin'
        $names | Should -Contain 'alpine'
        $names | Should -Contain 'al pha.txt'
        $names | Should -Not -Contain 'beta.bin'
        ($found | Where-Object ListItemText -EQ 'alpine').ResultType | Should -Be 'ProviderContainer'
        ($found | Where-Object ListItemText -EQ 'alpha.bin').CompletionText | Should -Be (Join-Path $script:Dir 'alpha.bin')
        # A name with a space comes back quoted, ready to run.
        ($found | Where-Object ListItemText -EQ 'al pha.txt').CompletionText | Should -Be ("'" + (Join-Path $script:Dir 'al pha.txt') + "'")
    }

    It 'completes paths relative to the current location' {
        Push-Location $script:Dir
        try {
            $texts = @(Get-Completion 'Copy-SpliceItem -Path ./be' | ForEach-Object CompletionText)
            $texts | Should -Be @('./beta.bin')
        }
        finally { Pop-Location }
    }

    It 'completes paths on a PowerShell drive' {
        $texts = @(Get-Completion 'Copy-SpliceItem -Path TestDrive:/complete/be' | ForEach-Object CompletionText)
        $texts | Should -Be @('TestDrive:/complete/beta.bin')
    }
}
